"""Project-wide API pieces: pagination, the exception handler, the error shapes and the input helpers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, pagination, serializers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc, context):
    """Turn Django's ValidationError (raised by services) into a 400 with its messages."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


@extend_schema_serializer(component_name="ValidationErrors")
class ValidationErrorsSerializer(serializers.Serializer):
    detail = serializers.ListField(
        child=serializers.CharField(),
        help_text='What is wrong, one message each; a message about one input starts with its name ("ranking: ...").',
    )


@extend_schema_serializer(component_name="ErrorDetail")
class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


BAD_REQUEST = OpenApiResponse(ValidationErrorsSerializer, description="Invalid input or a rule of the game broken.")
NOT_AUTHENTICATED = OpenApiResponse(
    ErrorDetailSerializer, description="No credentials: send `Authorization: Token <key>` or a session cookie."
)
FORBIDDEN = OpenApiResponse(ErrorDetailSerializer, description="Session authentication without a valid CSRF token.")


def not_found(what: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorDetailSerializer, description=what)


def flat_messages(errors, name: str = "") -> list[str]:
    """DRF's nested field errors as flat messages prefixed with the input's path."""
    if isinstance(errors, dict):
        messages = []
        for key, value in errors.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                path = name
            elif isinstance(key, int):
                path = f"{name}[{key}]"
            else:
                path = f"{name}.{key}" if name else str(key)
            messages += flat_messages(value, path)
        return messages
    if isinstance(errors, list):
        return [message for error in errors for message in flat_messages(error, name)]
    return [f"{name}: {errors}" if name else str(errors)]


def validated(serializer: serializers.Serializer) -> dict:
    """The serializer's validated data, or a ValidationError (a 400 {"detail": [...]})."""
    if not serializer.is_valid():
        raise DjangoValidationError(flat_messages(serializer.errors))
    return serializer.validated_data


def request_data(request):
    try:
        return request.data
    except ParseError as exc:
        raise DjangoValidationError(str(exc.detail)) from exc
