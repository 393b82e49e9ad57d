"""Forum pages. Views read with QuerySet methods and write through forums.services, which holds every rule;
a refused write shows its message on the same form, a rate limit answers 429 with when to retry.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View
from django.views.generic import ListView, TemplateView

from films.models import Category, Film
from forums import services
from forums.forms import ModerateForm, PostForm, ReportForm, ThreadForm
from forums.limits import RateLimited
from forums.markdown import quote_markdown
from forums.models import Board, ModerationAction, Post, Report, Thread

SEARCH_MAX = 100


def _id(value) -> int | None:
    """A query parameter as a row id, or None: digits only, and small enough for the database's bigint."""
    value = str(value or "")
    return int(value) if value.isdigit() and int(value) < 2**63 else None


def _text(value, limit: int = SEARCH_MAX) -> str:
    """A query parameter as one line of text: NUL characters (which PostgreSQL refuses) dropped."""
    return " ".join(str(value or "").replace("\x00", "").split())[:limit]


def _thread_list(queryset, user):
    return queryset.select_related("board", "author", "last_post_author", "film", "category__ceremony").with_read_state(
        user
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def rate_limited(request, error: RateLimited):
    response = render(request, "forums/limited.html", {"error": error}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def post_page(post: Post) -> int:
    """Posts are numbered without gaps (deleted ones keep their place), so a post's page is arithmetic."""
    return (post.number - 1) // settings.FORUMS_POSTS_PER_PAGE + 1


def post_url(post: Post) -> str:
    page = post_page(post)
    suffix = f"?page={page}" if page > 1 else ""
    return f"{post.thread.get_absolute_url()}{suffix}#post-{post.number}"


class BoardListView(ListView):
    template_name = "forums/board_list.html"
    context_object_name = "boards"

    def get_queryset(self):
        return Board.objects.select_related("last_thread", "last_thread__last_post_author")

    def get_context_data(self, **kwargs):
        latest = _thread_list(Thread.objects.visible().order_by("-last_post_at", "-id"), self.request.user)[:8]
        return super().get_context_data(latest=latest, **kwargs)


class BoardDetailView(ListView):
    template_name = "forums/board_detail.html"
    context_object_name = "threads"
    paginate_by = settings.FORUMS_THREADS_PER_PAGE

    def get_queryset(self):
        self.board = get_object_or_404(Board, slug=self.kwargs["slug"])
        return _thread_list(Thread.objects.visible().filter(board=self.board).by_activity(), self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(board=self.board, **kwargs)


class ThreadSearchView(ListView):
    template_name = "forums/search.html"
    context_object_name = "threads"
    paginate_by = settings.FORUMS_THREADS_PER_PAGE

    def get_queryset(self):
        """Titles containing ?q= (two characters or more), or every thread about ?film=slug or ?category=id."""
        self.query = _text(self.request.GET.get("q"))
        self.film = self.category = None
        threads = Thread.objects.visible().order_by("-last_post_at", "-id")
        if film := _text(self.request.GET.get("film"), 320):
            self.film = get_object_or_404(Film, slug=film)
            threads = threads.filter(film=self.film)
        elif category := _id(self.request.GET.get("category")):
            self.category = get_object_or_404(Category.objects.select_related("ceremony"), pk=category)
            threads = threads.filter(category=self.category)
        elif len(self.query) < 2:
            return Thread.objects.none()
        if len(self.query) >= 2:
            threads = threads.filter(title__icontains=self.query)
        return _thread_list(threads, self.request.user)

    def get_context_data(self, **kwargs):
        query = {"q": self.query} if self.query else {}
        if self.film:
            query["film"] = self.film.slug
        if self.category:
            query["category"] = self.category.pk
        return super().get_context_data(
            query=self.query,
            topic_film=self.film,
            topic_category=self.category,
            query_prefix=urlencode(query),
            **kwargs,
        )


class ThreadCreateView(LoginRequiredMixin, View):
    """Start a thread, optionally about a film (?film=slug) or a category (?category=id)."""

    template_name = "forums/thread_form.html"

    def _subject(self, request):
        source = request.POST if request.method == "POST" else request.GET
        film = category = None
        if slug := _text(source.get("film"), 320):
            film = Film.objects.filter(slug=slug).first()
        if pk := _id(source.get("category")):
            category = Category.objects.select_related("ceremony__show").filter(pk=pk).first()
        return film, category

    def _render(self, request, form, film, category, status=200):
        context = {"form": form, "film": film, "category": category}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        film, category = self._subject(request)
        board = Board.objects.filter(slug=_text(request.GET.get("board"), 80)).first()
        if board is None and (film or category):
            board = Board.objects.filter(is_default=True).first()
        initial = {"board": board}
        if film:
            initial["title"] = f"{film.title} ({film.year})" if film.year else film.title
        elif category:
            initial["title"] = f"{category.display_name} at the {category.ceremony.title}"
        return self._render(request, ThreadForm(initial=initial), film, category)

    def post(self, request):
        film, category = self._subject(request)
        form = ThreadForm(request.POST)
        if form.is_valid():
            try:
                thread = services.thread_create(
                    author=request.user,
                    board=form.cleaned_data["board"],
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    film=film,
                    category=category,
                )
            except RateLimited as error:
                return rate_limited(request, error)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Your thread is up.")
                return redirect(thread)
        return self._render(request, form, film, category, status=400)


class ThreadMixin:
    def get_thread(self) -> Thread:
        thread = get_object_or_404(
            Thread.objects.select_related("board", "film", "category__ceremony__show", "removed_by"),
            pk=self.kwargs["pk"],
        )
        user = self.request.user
        if thread.is_removed and not (user.is_authenticated and user.can_moderate):
            raise Http404("This thread was removed by a moderator.")
        return thread


class ThreadDetailView(ThreadMixin, TemplateView):
    template_name = "forums/thread_detail.html"

    def get(self, request, *args, **kwargs):
        self.thread = self.get_thread()
        if kwargs.get("slug") != self.thread.slug:
            return HttpResponseRedirect(self.thread.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        thread, user = self.thread, self.request.user
        posts = Post.objects.filter(thread=thread).select_related("author", "removed_by", "quote_of").order_by("number")
        paginator = Paginator(posts, settings.FORUMS_POSTS_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        page_posts = list(page.object_list)
        services.posts_rerender(page_posts)
        read_upto = None
        if user.is_authenticated:
            read_upto = thread.reads.filter(user=user).values_list("last_read_number", flat=True).first()
            if page_posts:
                services.thread_mark_read(user=user, thread=thread, number=page_posts[-1].number, read_upto=read_upto)
        moderator = user.is_authenticated and user.can_moderate
        return super().get_context_data(
            thread=thread,
            page_obj=page,
            posts=page_posts,
            read_upto=read_upto,
            is_moderator=moderator,
            can_reply=user.is_authenticated and (not thread.is_locked or moderator),
            reply_form=PostForm(),
            moderate_form=ModerateForm() if moderator else None,
            boards=Board.objects.exclude(pk=thread.board_id) if moderator else (),
            **kwargs,
        )


class ReplyView(LoginRequiredMixin, ThreadMixin, View):
    template_name = "forums/reply.html"

    def _quote(self, request, thread) -> Post | None:
        pk = _id(request.POST.get("quote") or request.GET.get("quote"))
        if pk is None:
            return None
        return thread.posts.visible().select_related("author").filter(pk=pk).first()

    def get(self, request, pk):
        thread = self.get_thread()
        quote = self._quote(request, thread)
        initial = {"body": quote_markdown(author=quote.author.display_name, source=quote.source)} if quote else {}
        return render(
            request, self.template_name, {"thread": thread, "form": PostForm(initial=initial), "quote": quote}
        )

    def post(self, request, pk):
        thread = self.get_thread()
        quote = self._quote(request, thread)
        form = PostForm(request.POST)
        if form.is_valid():
            try:
                post = services.post_create(
                    author=request.user, thread=thread, body=form.cleaned_data["body"], quote_of=quote
                )
            except RateLimited as error:
                return rate_limited(request, error)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                post.thread = thread
                messages.success(request, "Your reply is posted.")
                return redirect(post_url(post))
        context = {"thread": thread, "form": form, "quote": quote}
        return render(request, self.template_name, context, status=400)


def post_redirect(request, pk):
    """A post's permanent address: its thread's page, at the post."""
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    return redirect(post_url(post))


def thread_unread(request, pk, slug=None):
    """Jump to the first post the member has not seen (or the last post)."""
    thread = get_object_or_404(Thread.objects.visible(), pk=pk)
    read_upto = 0
    if request.user.is_authenticated:
        read_upto = thread.reads.filter(user=request.user).values_list("last_read_number", flat=True).first() or 0
    target = (
        thread.posts.filter(number__gt=read_upto).order_by("number").first() or thread.posts.order_by("-number").first()
    )
    target.thread = thread
    return redirect(post_url(target))


class OwnPostView(LoginRequiredMixin, View):
    template_name = ""

    def get_post(self):
        post = get_object_or_404(Post.objects.select_related("thread__board", "author"), pk=self.kwargs["pk"])
        if post.author_id != self.request.user.pk:
            raise PermissionDenied("You can only change your own posts.")
        return post


class PostEditView(OwnPostView):
    template_name = "forums/post_edit.html"

    def get(self, request, pk):
        post = self.get_post()
        return render(request, self.template_name, {"post": post, "form": PostForm(initial={"body": post.source})})

    def post(self, request, pk):
        post = self.get_post()
        form = PostForm(request.POST)
        if form.is_valid():
            try:
                services.post_edit(user=request.user, post=post, body=form.cleaned_data["body"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Your post is updated.")
                return redirect(post_url(post))
        return render(request, self.template_name, {"post": post, "form": form}, status=400)


class PostDeleteView(OwnPostView):
    template_name = "forums/post_delete.html"

    def get(self, request, pk):
        return render(request, self.template_name, {"post": self.get_post()})

    def post(self, request, pk):
        post = self.get_post()
        try:
            services.post_delete(user=request.user, post=post)
        except ValidationError as error:
            return render(request, self.template_name, {"post": post, "errors": error.messages}, status=400)
        messages.success(request, "Your post is deleted.")
        return redirect(post_url(post))


class PostReportView(LoginRequiredMixin, View):
    template_name = "forums/report_form.html"

    def get_post(self):
        post = get_object_or_404(Post.objects.select_related("thread", "author"), pk=self.kwargs["pk"])
        if post.thread.is_removed:
            raise Http404("This thread was removed by a moderator.")
        return post

    def get(self, request, pk):
        return render(request, self.template_name, {"post": self.get_post(), "form": ReportForm()})

    def post(self, request, pk):
        post = self.get_post()
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                services.post_report(reporter=request.user, post=post, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Thanks: the moderators will look at this post.")
                return redirect(post_url(post))
        return render(request, self.template_name, {"post": post, "form": form}, status=400)


# Moderation ---------------------------------------------------------------------------------------


class ModeratorRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.can_moderate:
            raise PermissionDenied("Only moderators can do that.")
        return super().dispatch(request, *args, **kwargs)


def _back(request, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


class ModerationQueueView(ModeratorRequiredMixin, TemplateView):
    template_name = "forums/moderation.html"

    def get_context_data(self, **kwargs):
        open_reports = Report.objects.open().select_related("reporter")
        posts = (
            # posts with an open report (a filter on reports__resolved_at__isnull would also match unreported posts)
            Post.objects.filter(pk__in=open_reports.values("post"))
            .select_related("thread", "author")
            .prefetch_related(Prefetch("reports", queryset=open_reports, to_attr="open_reports"))
            .order_by("created_at")
        )
        log = ModerationAction.objects.select_related("moderator", "thread", "post")[:30]
        return super().get_context_data(reported_posts=posts, log=log, **kwargs)


DONE = {
    "pin": "Thread pinned.",
    "unpin": "Thread unpinned.",
    "lock": "Thread locked.",
    "unlock": "Thread unlocked.",
    "move": "Thread moved.",
    "remove": "Removed.",
    "restore": "Restored.",
}


class ThreadModerateView(ModeratorRequiredMixin, View):
    def post(self, request, pk):
        thread = get_object_or_404(Thread.objects.select_related("board"), pk=pk)
        form = ModerateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a valid moderation action.")
            return _back(request, thread.get_absolute_url())
        action, data = form.cleaned_data["action"], form.cleaned_data
        try:
            services.thread_moderate(
                moderator=request.user, thread=thread, action=action, reason=data["reason"], board=data["board"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, DONE[action])
        return _back(request, thread.get_absolute_url())


class PostModerateView(ModeratorRequiredMixin, View):
    def post(self, request, pk):
        post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
        form = ModerateForm(request.POST)
        action = form.cleaned_data["action"] if form.is_valid() else None
        try:
            if action == "remove":
                services.post_remove(moderator=request.user, post=post, reason=form.cleaned_data["reason"])
            elif action == "restore":
                services.post_restore(moderator=request.user, post=post, reason=form.cleaned_data["reason"])
            else:
                raise ValidationError("A post can be removed or restored.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Post " + ("removed." if action == "remove" else "restored."))
        return _back(request, post_url(post))


class ReportDismissView(ModeratorRequiredMixin, View):
    def post(self, request, pk):
        report = get_object_or_404(Report, pk=pk)
        try:
            services.report_dismiss(moderator=request.user, report=report)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Report dismissed.")
        return _back(request, reverse("forums:moderation"))
