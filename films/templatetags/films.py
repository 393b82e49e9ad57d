from django import template

from films.models import display_category_name

register = template.Library()


@register.filter
def category_name(value: str) -> str:
    """A category name from the data set as a title: "ACTOR IN A LEADING ROLE" -> "Actor in a Leading Role"."""
    return display_category_name(value or "")
