import factory
from django.utils.text import slugify

from accounts.models import User
from films.models import AwardShow, Category, Ceremony, Contender, Credit, Film, Person


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Member {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class FilmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Film

    title = factory.Sequence(lambda n: f"Film {n}")
    year = 2020
    slug = factory.LazyAttribute(lambda o: slugify(f"{o.title} {o.year}"))


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credit

    film = factory.SubFactory(FilmFactory)
    person = factory.SubFactory(PersonFactory)
    role = Credit.Role.DIRECTOR


class AwardShowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwardShow
        django_get_or_create = ("slug",)

    name = "Academy Awards"
    short_name = "Oscars"
    slug = "academy-awards"


class CeremonyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ceremony

    show = factory.SubFactory(AwardShowFactory)
    number = factory.Sequence(lambda n: n + 1)
    film_year = factory.LazyAttribute(lambda o: o.number + 1927)
    film_year_label = factory.LazyAttribute(lambda o: str(o.film_year))
    held_in = factory.LazyAttribute(lambda o: o.number + 1928)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    ceremony = factory.SubFactory(CeremonyFactory)
    name = factory.Sequence(lambda n: f"CATEGORY {n}")
    canonical_name = factory.LazyAttribute(lambda o: o.name)
    canonical_slug = factory.LazyAttribute(lambda o: slugify(o.canonical_name))
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    award_class = Category.AwardClass.TITLE
    slots = 5


class ContenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contender
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Contender {n}")

    @factory.post_generation
    def films(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.films.add(*extracted)

    @factory.post_generation
    def people(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.people.add(*extracted)
