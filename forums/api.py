"""The forums API, under /api/forums/ (see forums/api_urls.py): boards, threads, posts, reports, moderation.

Thin views, in the house style of predictions.api: each validates its input with its InputSerializer,
calls one forums.services function (which holds every rule) or one QuerySet, and renders with an output
serializer. Errors keep the project's shapes:

- a refused write (the service's ValidationError) or bad input is a 400 {"detail": [message, ...]}; a
  message about one input starts with its name ("title: ...");
- PermissionDenied is a 403 with the service's message; no credentials on a write is a 401 (token
  authentication comes first, so DRF answers with `WWW-Authenticate: Token`);
- the posting rate limit (forums.limits.RateLimited) is a 429 with `Retry-After` and a message saying
  when to try again;
- a removed thread is a 404 for everyone but moderators.

Anonymous visitors may read; the author of a write is always request.user. Every read runs a fixed
number of queries whatever the page holds.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ErrorDetailSerializer, Pagination, ValidationErrorsSerializer, request_data, validated
from config.authentication import TokenAuthentication
from films.api import PageUrlField
from films.models import Category, Film
from forums import services
from forums.limits import RateLimited
from forums.models import BODY_MAX, REASON_MAX, TITLE_MAX, TITLE_MIN, Board, Post, Report, Thread

SEARCH_MAX = 100
POST_STATES = ("visible", "deleted", "removed")
POST_ACTIONS = ("remove", "restore")

# ---------------------------------------------------------------------------------------------
# Shared pieces

BAD_REQUEST = OpenApiResponse(ValidationErrorsSerializer, description="Invalid input, or a forum rule broken.")
NOT_AUTHENTICATED = OpenApiResponse(
    ErrorDetailSerializer, description="No credentials: send `Authorization: Token <key>` or a session cookie."
)
FORBIDDEN = OpenApiResponse(
    ErrorDetailSerializer, description="Not allowed (the message says why), or a session without a valid CSRF token."
)
MODERATORS_ONLY = OpenApiResponse(ErrorDetailSerializer, description="Only moderators can do that.")
RATE_LIMITED = OpenApiResponse(
    ErrorDetailSerializer,
    description="Posting too fast: the message says when to try again, `Retry-After` in how many seconds.",
)


def _not_found(what: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorDetailSerializer, description=what)


def _path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


_BOARD_SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="A board's slug.")


def _is_moderator(user) -> bool:
    return bool(user and user.is_authenticated and user.can_moderate)


def _flat(error: ValidationError) -> ValidationError:
    """A service's {field: [message]} error as the house's flat list, each message prefixed with its input."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        [
            message if field == NON_FIELD_ERRORS else f"{field}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    )


class IsModerator(permissions.BasePermission):
    message = "Only moderators can do that."

    def has_permission(self, request, view) -> bool:
        return _is_moderator(request.user)


class ForumApi(APIView):
    # (Comments, not a docstring: drf-spectacular would show a docstring as every operation's description.)
    # Token first, so that a write without credentials gets a 401 with `WWW-Authenticate: Token`;
    # session authentication keeps DRF's CSRF check on unsafe methods. Anonymous visitors may read.
    # handle_exception maps what the services raise onto the API's answers (see the module docstring).

    authentication_classes = [TokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def handle_exception(self, exc):
        if isinstance(exc, RateLimited):
            throttled = exceptions.Throttled(wait=exc.retry_after)
            # Throttled(detail=...) would append "Expected available in N seconds." to a message that says it.
            throttled.detail = exceptions.ErrorDetail(str(exc), code=throttled.default_code)
            exc = throttled
        elif isinstance(exc, ValidationError):
            exc = _flat(exc)
        elif isinstance(exc, DjangoPermissionDenied):
            # DRF would answer its generic message; the service's says what is not allowed.
            exc = exceptions.PermissionDenied(str(exc) or None)
        return super().handle_exception(exc)


class ModeratorApi(ForumApi):
    permission_classes = [permissions.IsAuthenticated, IsModerator]


def _thread(request, pk: int) -> Thread:
    """The thread, selected for ThreadSerializer; a removed one only for moderators."""
    thread = Thread.objects.select_related("board", "author", "film", "category").filter(pk=pk).first()
    if thread is None or (thread.is_removed and not _is_moderator(request.user)):
        raise exceptions.NotFound("No such thread.")
    return thread


def _post(pk: int) -> Post:
    post = Post.objects.select_related("thread", "author", "removed_by", "quote_of").filter(pk=pk).first()
    if post is None:
        raise exceptions.NotFound("No such post.")
    return post


def _paginated(view: APIView, queryset, serializer_class, **context):
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    data = serializer_class(page, many=True, context={"request": view.request, **context}).data
    return paginator.get_paginated_response(data)


# ---------------------------------------------------------------------------------------------
# Serializers


@extend_schema_serializer(component_name="ForumBoard")
class BoardSerializer(serializers.ModelSerializer):
    url = PageUrlField()

    class Meta:
        model = Board
        fields = ["slug", "name", "description", "thread_count", "post_count", "last_post_at", "url"]


@extend_schema_serializer(component_name="ForumFilm")
class ThreadFilmSerializer(serializers.ModelSerializer):
    class Meta:
        model = Film
        fields = ["slug", "title"]


@extend_schema_serializer(component_name="ForumCategory")
class ThreadCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]


@extend_schema_serializer(component_name="ForumThread")
class ThreadSerializer(serializers.ModelSerializer):
    """Needs board, author, film and category selected."""

    board = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True, help_text="The author's display name.")
    film = ThreadFilmSerializer(read_only=True, allow_null=True, help_text="The film the thread is about, if any.")
    category = ThreadCategorySerializer(
        read_only=True, allow_null=True, help_text="The category the thread is about, if any."
    )
    is_removed = serializers.BooleanField(read_only=True, help_text="Removed by a moderator: only moderators see it.")
    post_count = serializers.IntegerField(read_only=True, help_text="Posts members see (not deleted or removed).")
    url = PageUrlField(help_text="The thread's page on the site.")

    class Meta:
        model = Thread
        fields = [
            "id",
            "board",
            "title",
            "slug",
            "author",
            "film",
            "category",
            "created_at",
            "is_pinned",
            "is_locked",
            "is_removed",
            "post_count",
            "last_post_at",
            "url",
        ]


@extend_schema_serializer(component_name="ForumPost")
class PostSerializer(serializers.ModelSerializer):
    """Needs author, removed_by and quote_of selected. Context: `is_moderator`."""

    thread = serializers.IntegerField(source="thread_id", read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True, help_text="The author's display name.")
    state = serializers.SerializerMethodField()
    html = serializers.SerializerMethodField(
        help_text="The post rendered and sanitized; null when it is not shown (deleted, or removed for non-moderators)."
    )
    source = serializers.SerializerMethodField(help_text="The Markdown as written; null when the post is not shown.")
    quote_of = serializers.IntegerField(
        source="quote_of_id", read_only=True, allow_null=True, help_text="The id of the post it replies to."
    )
    quote_of_number = serializers.SerializerMethodField(help_text="That post's number in the thread.")
    removed_reason = serializers.SerializerMethodField(help_text="Why a moderator removed it; moderators only.")
    removed_by = serializers.SerializerMethodField(help_text="The moderator who removed it; moderators only.")
    url = PageUrlField(help_text="The post on the thread's page.")

    class Meta:
        model = Post
        fields = [
            "id",
            "thread",
            "number",
            "author",
            "state",
            "html",
            "source",
            "quote_of",
            "quote_of_number",
            "created_at",
            "edited_at",
            "removed_reason",
            "removed_by",
            "url",
        ]

    def _shown(self, post) -> bool:
        return post.is_visible or (post.deleted_at is None and self.context.get("is_moderator", False))

    def _moderator_sees_removal(self, post) -> bool:
        return post.removed_at is not None and self.context.get("is_moderator", False)

    @extend_schema_field(
        serializers.ChoiceField(
            choices=POST_STATES, help_text="deleted: by its author; removed: by a moderator (checked before deleted)."
        )
    )
    def get_state(self, post) -> str:
        if post.removed_at is not None:
            return "removed"
        if post.deleted_at is not None:
            return "deleted"
        return "visible"

    def get_html(self, post) -> str | None:
        return post.html if self._shown(post) else None

    def get_source(self, post) -> str | None:
        return post.source if self._shown(post) else None

    def get_quote_of_number(self, post) -> int | None:
        return post.quote_of.number if post.quote_of_id else None

    def get_removed_reason(self, post) -> str | None:
        return post.removed_reason if self._moderator_sees_removal(post) else None

    def get_removed_by(self, post) -> str | None:
        if not self._moderator_sees_removal(post) or post.removed_by_id is None:
            return None
        return post.removed_by.display_name


@extend_schema_serializer(component_name="ForumReport")
class ReportSerializer(serializers.ModelSerializer):
    """Needs reporter and post selected."""

    post = serializers.IntegerField(source="post_id", read_only=True)
    thread = serializers.IntegerField(source="post.thread_id", read_only=True)
    reporter = serializers.CharField(source="reporter.display_name", read_only=True)

    class Meta:
        model = Report
        fields = ["id", "post", "thread", "reason", "details", "reporter", "created_at", "resolved_at", "resolution"]


def _body_field(**kwargs) -> serializers.CharField:
    # No max_length or trimming here: forums.services cleans and measures the text, with its own messages.
    return serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Markdown, at most {BODY_MAX:,} characters. New members' first posts may not contain links.",
        **kwargs,
    )


def _reason_field(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False, help_text=help_text
    )


# ---------------------------------------------------------------------------------------------
# Boards and threads


class BoardListApi(ForumApi):
    @extend_schema(
        operation_id="forums_boards_list",
        summary="Forum boards",
        description="Every board, in the site's order, with its counters. Public.",
        responses={200: BoardSerializer(many=True)},
    )
    def get(self, request):
        return Response(BoardSerializer(Board.objects.all(), many=True, context={"request": request}).data)


class BoardThreadsApi(ForumApi):
    """A board's threads (GET), or a new thread in it (POST)."""

    pagination_class = Pagination  # for the schema; the view paginates with _paginated()

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            default="",
            allow_blank=True,
            max_length=SEARCH_MAX,
            help_text="Only threads whose title contains this (any case).",
        )

    @extend_schema_serializer(component_name="ForumThreadInput")
    class CreateSerializer(serializers.Serializer):
        title = serializers.CharField(
            allow_blank=True, trim_whitespace=False, help_text=f"{TITLE_MIN} to {TITLE_MAX} characters, one line."
        )
        body = _body_field()
        film = serializers.SlugRelatedField(
            slug_field="slug",
            queryset=Film.objects.all(),
            required=False,
            allow_null=True,
            help_text="The slug of the film the thread is about.",
            error_messages={"does_not_exist": 'No film has the slug "{value}".', "invalid": "Give a film's slug."},
        )
        category = serializers.PrimaryKeyRelatedField(
            queryset=Category.objects.all(),
            required=False,
            allow_null=True,
            help_text="The id of the category the thread is about.",
            error_messages={
                "does_not_exist": "No category has the id {pk_value}.",
                "incorrect_type": "Give a category's id (a number).",
            },
        )

    @extend_schema(
        operation_id="forums_board_threads_list",
        summary="A board's threads",
        description="The board's threads, pinned first, then the newest activity first. Removed threads are left out.",
        parameters=[_BOARD_SLUG, InputSerializer],
        responses={200: ThreadSerializer(many=True), 400: BAD_REQUEST, 404: _not_found("No such board.")},
    )
    def get(self, request, slug: str):
        board = self._board(slug)
        query = " ".join(validated(self.InputSerializer(data=request.query_params))["q"].split())
        threads = (
            Thread.objects.visible()
            .filter(board=board)
            .select_related("board", "author", "film", "category")
            .by_activity()
        )
        if query:
            threads = threads.filter(title__icontains=query)
        return _paginated(self, threads, ThreadSerializer)

    @extend_schema(
        operation_id="forums_thread_create",
        summary="Start a thread",
        description=(
            "Starts a thread in the board with its opening post, optionally about a film or a category. Refused, "
            "changing nothing, when the title or body breaks the rules or a new member's first posts link out."
        ),
        parameters=[_BOARD_SLUG],
        request=CreateSerializer,
        responses={
            201: ThreadSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
            404: _not_found("No such board."),
            429: RATE_LIMITED,
        },
    )
    def post(self, request, slug: str):
        board = self._board(slug)
        data = validated(self.CreateSerializer(data=request_data(request)))
        thread = services.thread_create(
            author=request.user,
            board=board,
            title=data["title"],
            body=data["body"],
            film=data.get("film"),
            category=data.get("category"),
        )
        return Response(ThreadSerializer(thread, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _board(slug: str) -> Board:
        board = Board.objects.filter(slug=slug).first()
        if board is None:
            raise exceptions.NotFound("No such board.")
        return board


class ThreadDetailApi(ForumApi):
    @extend_schema(
        operation_id="forums_thread_retrieve",
        summary="A thread",
        description="A thread with its counters. Public; a removed thread only for moderators.",
        parameters=[_path_id("thread_id", "A thread's id.")],
        responses={200: ThreadSerializer, 404: _not_found("No such thread (or it was removed).")},
    )
    def get(self, request, thread_id: int):
        return Response(ThreadSerializer(_thread(request, thread_id), context={"request": request}).data)


class ThreadPostsApi(ForumApi):
    """A thread's posts (GET), or a reply (POST)."""

    pagination_class = Pagination  # for the schema; the view paginates with _paginated()

    @extend_schema_serializer(component_name="ForumReplyInput")
    class InputSerializer(serializers.Serializer):
        body = _body_field()
        quote_of = serializers.PrimaryKeyRelatedField(
            queryset=Post.objects.all(),
            required=False,
            allow_null=True,
            help_text="The id of the post of this thread it replies to.",
            error_messages={
                "does_not_exist": "No post has the id {pk_value}.",
                "incorrect_type": "Give a post's id (a number).",
            },
        )

    @extend_schema(
        operation_id="forums_thread_posts_list",
        summary="A thread's posts",
        description=(
            "Every post in number order, deleted and removed ones included (their text is null: members see that "
            "they were there). Moderators also see the text of removed posts, and why they were removed."
        ),
        parameters=[_path_id("thread_id", "A thread's id.")],
        responses={200: PostSerializer(many=True), 404: _not_found("No such thread (or it was removed).")},
    )
    def get(self, request, thread_id: int):
        thread = _thread(request, thread_id)
        posts = Post.objects.filter(thread=thread).select_related("author", "removed_by", "quote_of").order_by("number")
        paginator = Pagination()
        page = paginator.paginate_queryset(posts, request, view=self)
        services.posts_rerender(page)  # as the thread's page does: posts of an older renderer, in one UPDATE
        context = {"request": request, "is_moderator": _is_moderator(request.user)}
        return paginator.get_paginated_response(PostSerializer(page, many=True, context=context).data)

    @extend_schema(
        operation_id="forums_post_create",
        summary="Reply to a thread",
        description=(
            "Adds a post at the end of the thread. Refused, changing nothing, when the thread is locked (except for "
            "moderators), the body breaks the rules, or the quoted post is not a visible post of this thread."
        ),
        parameters=[_path_id("thread_id", "A thread's id.")],
        request=InputSerializer,
        responses={
            201: PostSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
            404: _not_found("No such thread (or it was removed)."),
            429: RATE_LIMITED,
        },
    )
    def post(self, request, thread_id: int):
        thread = _thread(request, thread_id)
        data = validated(self.InputSerializer(data=request_data(request)))
        post = services.post_create(
            author=request.user, thread=thread, body=data["body"], quote_of=data.get("quote_of")
        )
        context = {"request": request, "is_moderator": _is_moderator(request.user)}
        return Response(PostSerializer(post, context=context).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# Posts


class PostApi(ForumApi):
    """My post: rewrite it (PATCH) or delete it (DELETE). Nobody changes another person's post."""

    @extend_schema_serializer(component_name="ForumPostEditInput")
    class InputSerializer(serializers.Serializer):
        body = _body_field()

    @extend_schema(
        operation_id="forums_post_update",
        summary="Edit my post",
        description="Rewrites the post; it shows as edited, with the time. Not in a locked thread (except moderators).",
        parameters=[_path_id("post_id", "A post's id.")],
        request=InputSerializer,
        responses={
            200: PostSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
            404: _not_found("No such post."),
        },
    )
    def patch(self, request, post_id: int):
        post = _post(post_id)
        data = validated(self.InputSerializer(data=request_data(request)))
        post = services.post_edit(user=request.user, post=post, body=data["body"])
        context = {"request": request, "is_moderator": _is_moderator(request.user)}
        return Response(PostSerializer(post, context=context).data)

    @extend_schema(
        operation_id="forums_post_destroy",
        summary="Delete my post",
        description="The post shows as deleted by its author; its place in the thread stays.",
        parameters=[_path_id("post_id", "A post's id.")],
        responses={
            204: OpenApiResponse(description="Deleted."),
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
            404: _not_found("No such post."),
        },
    )
    def delete(self, request, post_id: int):
        services.post_delete(user=request.user, post=_post(post_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostReportApi(ForumApi):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema_serializer(component_name="ForumReportInput")
    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(
            choices=Report.Reason.choices,
            help_text="One of: " + ", ".join(f"{value} ({label})" for value, label in Report.Reason.choices) + ".",
            error_messages={
                "invalid_choice": f'"{{input}}" is not a reason: use one of {", ".join(Report.Reason.values)}.'
            },
        )
        details = _reason_field(f"What is wrong, at most {REASON_MAX} characters; required with the reason other.")

    @extend_schema(
        operation_id="forums_report_create",
        summary="Report a post",
        description="Flags a post for the moderators, once per post while the report is open.",
        parameters=[_path_id("post_id", "A post's id.")],
        request=InputSerializer,
        responses={
            201: ReportSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: FORBIDDEN,
            404: _not_found("No such post."),
        },
    )
    def post(self, request, post_id: int):
        post = _post(post_id)
        if post.thread.is_removed and not _is_moderator(request.user):
            raise exceptions.NotFound("No such post.")
        data = validated(self.InputSerializer(data=request_data(request)))
        report = services.post_report(reporter=request.user, post=post, reason=data["reason"], details=data["details"])
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# Moderation


class ThreadModerationApi(ModeratorApi):
    @extend_schema_serializer(component_name="ForumThreadModerationInput")
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(
            choices=services.THREAD_ACTIONS,
            error_messages={
                "invalid_choice": f'"{{input}}" is not an action: use one of {", ".join(services.THREAD_ACTIONS)}.'
            },
        )
        reason = _reason_field(f"For the moderation log, at most {REASON_MAX} characters; required to remove.")
        board = serializers.SlugRelatedField(
            slug_field="slug",
            queryset=Board.objects.all(),
            required=False,
            allow_null=True,
            help_text="move: the slug of the board to move the thread to.",
            error_messages={"does_not_exist": 'No board has the slug "{value}".', "invalid": "Give a board's slug."},
        )

    @extend_schema(
        operation_id="forums_thread_moderate",
        summary="Moderate a thread",
        description="Pin, unpin, lock, unlock, move, remove or restore a thread; logged with the reason.",
        parameters=[_path_id("thread_id", "A thread's id.")],
        request=InputSerializer,
        responses={
            200: ThreadSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: MODERATORS_ONLY,
            404: _not_found("No such thread."),
        },
    )
    def post(self, request, thread_id: int):
        thread = _thread(request, thread_id)
        data = validated(self.InputSerializer(data=request_data(request)))
        services.thread_moderate(
            moderator=request.user, thread=thread, action=data["action"], reason=data["reason"], board=data.get("board")
        )
        return Response(ThreadSerializer(_thread(request, thread_id), context={"request": request}).data)


class PostModerationApi(ModeratorApi):
    @extend_schema_serializer(component_name="ForumPostModerationInput")
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(
            choices=POST_ACTIONS,
            error_messages={"invalid_choice": '"{input}" is not an action: a post can be removed or restored.'},
        )
        reason = _reason_field(f"For the moderation log, at most {REASON_MAX} characters; required to remove.")

    @extend_schema(
        operation_id="forums_post_moderate",
        summary="Remove or restore a post",
        description="Removing hides the post from members and closes the open reports about it.",
        parameters=[_path_id("post_id", "A post's id.")],
        request=InputSerializer,
        responses={
            200: PostSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: MODERATORS_ONLY,
            404: _not_found("No such post."),
        },
    )
    def post(self, request, post_id: int):
        post = _post(post_id)
        data = validated(self.InputSerializer(data=request_data(request)))
        act = services.post_remove if data["action"] == "remove" else services.post_restore
        act(moderator=request.user, post=post, reason=data["reason"])
        return Response(PostSerializer(_post(post_id), context={"request": request, "is_moderator": True}).data)


class ReportListApi(ModeratorApi):
    pagination_class = Pagination  # for the schema; the view paginates with _paginated()

    @extend_schema(
        operation_id="forums_reports_list",
        summary="Open reports",
        description="The reports no moderator has handled yet, oldest first.",
        responses={200: ReportSerializer(many=True), 401: NOT_AUTHENTICATED, 403: MODERATORS_ONLY},
    )
    def get(self, request):
        return _paginated(self, Report.objects.open().select_related("reporter", "post"), ReportSerializer)


class ReportDismissApi(ModeratorApi):
    @extend_schema(
        operation_id="forums_report_dismiss",
        summary="Dismiss a report",
        description="Closes the report without acting on the post.",
        parameters=[_path_id("report_id", "A report's id.")],
        request=None,
        responses={
            200: ReportSerializer,
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: MODERATORS_ONLY,
            404: _not_found("No such report."),
        },
    )
    def post(self, request, report_id: int):
        report = Report.objects.filter(pk=report_id).first()
        if report is None:
            raise exceptions.NotFound("No such report.")
        report = services.report_dismiss(moderator=request.user, report=report)
        return Response(ReportSerializer(report).data)
