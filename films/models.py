"""The catalogue: films and people, and the awards shows with their ceremonies and categories."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone


class Film(models.Model):
    class ReleaseKind(models.TextChoices):
        WIDE = "wide", "Wide"
        LIMITED = "limited", "Limited"

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=320, unique=True)
    year = models.PositiveSmallIntegerField(help_text="The film year of its first Oscar eligibility.")
    imdb_id = models.CharField("IMDb id", max_length=16, unique=True, null=True, blank=True)
    synopsis = models.TextField(blank=True)
    runtime_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    festival_premiere = models.CharField(
        max_length=200, blank=True, help_text="e.g. Toronto International Film Festival"
    )
    festival_premiere_date = models.DateField(null=True, blank=True)
    theatrical_release = models.DateField(null=True, blank=True)
    theatrical_release_kind = models.CharField(max_length=16, choices=ReleaseKind, blank=True)
    streaming_release = models.DateField(null=True, blank=True)
    streaming_service = models.CharField(max_length=100, blank=True)
    critics_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Percent, 0-100.")
    poster_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["title", "year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(critics_score__isnull=True) | Q(critics_score__lte=100), name="film_critics_score_percent"
            ),
        ]
        indexes = [models.Index(fields=["year"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    def get_absolute_url(self) -> str:
        return reverse("films:film", kwargs={"slug": self.slug})


class Person(models.Model):
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=320, unique=True)
    imdb_id = models.CharField("IMDb id", max_length=16, unique=True, null=True, blank=True)
    bio = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("films:person", kwargs={"slug": self.slug})


class Credit(models.Model):
    class Role(models.TextChoices):
        DIRECTOR = "director", "Director"
        WRITER = "writer", "Writer"
        PRODUCER = "producer", "Producer"
        CAST = "cast", "Cast"
        CINEMATOGRAPHY = "cinematography", "Cinematography"
        EDITOR = "editor", "Editor"
        SOUND = "sound", "Sound"
        MUSIC = "music", "Music"
        PRODUCTION_DESIGN = "production_design", "Production design"
        COSTUMES = "costumes", "Costume design"
        MAKEUP = "makeup", "Makeup and hairstyling"
        VISUAL_EFFECTS = "visual_effects", "Visual effects"

    film = models.ForeignKey(Film, on_delete=models.CASCADE, related_name="credits")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="credits")
    role = models.CharField(max_length=32, choices=Role)
    character = models.CharField(max_length=200, blank=True, help_text="For cast credits.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["film", "role", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["film", "person", "role", "character"], name="credit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()} – {self.film}"


class AwardShow(models.Model):
    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=40, blank=True, help_text="e.g. Oscars")
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("films:show", kwargs={"slug": self.slug})


class CeremonyQuerySet(models.QuerySet):
    def with_counts(self):
        competitive = Q(categories__award_class__in=Category.COMPETITIVE_CLASSES)
        return self.annotate(
            category_count=Count("categories", filter=competitive, distinct=True),
        )


class Ceremony(models.Model):
    show = models.ForeignKey(AwardShow, on_delete=models.PROTECT, related_name="ceremonies")
    number = models.PositiveSmallIntegerField()
    held_in = models.PositiveSmallIntegerField(help_text="Calendar year of the ceremony.")
    date = models.DateField(null=True, blank=True)
    film_year = models.PositiveSmallIntegerField(help_text="First calendar year of the films it honours.")
    film_year_label = models.CharField(max_length=16, help_text='As printed: "2020" or "1927/28".')

    objects = CeremonyQuerySet.as_manager()

    class Meta:
        ordering = ["show", "-number"]
        constraints = [models.UniqueConstraint(fields=["show", "number"], name="ceremony_unique_number")]

    def __str__(self) -> str:
        return f"{ordinal(self.number)} {self.show.name}"

    def get_absolute_url(self) -> str:
        return reverse("films:ceremony", kwargs={"show": self.show.slug, "number": self.number})

    @property
    def title(self) -> str:
        return f"{self.ordinal_number} {self.show.name}"

    @property
    def ordinal_number(self) -> str:
        return ordinal(self.number)


class RoundQuerySet(models.QuerySet):
    def open(self, now=None):
        now = now or timezone.now()
        return self.filter(opens_at__lte=now, closes_at__gt=now)


class Round(models.Model):
    class Kind(models.TextChoices):
        NOMINATIONS = "nominations", "Nominations"
        WINNERS = "winners", "Winners"

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="rounds")
    kind = models.CharField(max_length=16, choices=Kind)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["ceremony", "opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["ceremony", "kind"], name="round_unique_kind"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="round_closes_after_opening",
                violation_error_message="A round must close after it opens.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ceremony} – {self.get_kind_display()}"

    def clean(self) -> None:
        super().clean()
        if self.opens_at and self.closes_at and self.ceremony_id:
            overlapping = Round.objects.filter(
                ceremony_id=self.ceremony_id, opens_at__lt=self.closes_at, closes_at__gt=self.opens_at
            ).exclude(pk=self.pk)
            if overlapping.exists():
                raise ValidationError("A ceremony's rounds cannot overlap: one round is open at a time.")

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at


class CategoryQuerySet(models.QuerySet):
    def competitive(self):
        return self.filter(award_class__in=Category.COMPETITIVE_CLASSES)

    def non_competitive(self):
        return self.exclude(award_class__in=Category.COMPETITIVE_CLASSES)

    def with_contenders(self):
        """Categories with their contenders, films and people in four queries, whatever the count."""
        return self.prefetch_related(
            Prefetch(
                "contenders",
                queryset=Contender.objects.order_by("order", "id").prefetch_related(
                    Prefetch("films", queryset=Film.objects.order_by("contenderfilm__order")),
                    Prefetch("people", queryset=Person.objects.order_by("contenderperson__order")),
                ),
            )
        )


class Category(models.Model):
    class AwardClass(models.TextChoices):
        TITLE = "Title", "Picture and features"
        ACTING = "Acting", "Acting"
        DIRECTING = "Directing", "Directing"
        WRITING = "Writing", "Writing"
        MUSIC = "Music", "Music"
        PRODUCTION = "Production", "Production"
        SCITECH = "SciTech", "Scientific and technical"
        SPECIAL = "Special", "Honorary and special"

    COMPETITIVE_CLASSES = ("Title", "Acting", "Directing", "Writing", "Music", "Production")

    ceremony = models.ForeignKey(Ceremony, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=200, help_text="The exact name at this ceremony.")
    canonical_name = models.CharField(max_length=200, help_text="The name grouping renamed categories across years.")
    canonical_slug = models.SlugField(max_length=200)
    slug = models.SlugField(max_length=200)
    award_class = models.CharField(max_length=16, choices=AwardClass)
    slots = models.PositiveSmallIntegerField(default=5, help_text="How many nominees the category has.")
    order = models.PositiveSmallIntegerField(default=0)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["ceremony", "order", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["ceremony", "name"], name="category_unique_name"),
            models.UniqueConstraint(fields=["ceremony", "slug"], name="category_unique_slug"),
        ]
        indexes = [models.Index(fields=["canonical_slug"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.ceremony})"

    def get_absolute_url(self) -> str:
        return f"{self.ceremony.get_absolute_url()}#{self.slug}"

    @property
    def is_competitive(self) -> bool:
        return self.award_class in self.COMPETITIVE_CLASSES

    @property
    def display_name(self) -> str:
        return display_category_name(self.name)

    @property
    def canonical_display_name(self) -> str:
        return display_category_name(self.canonical_name)

    def get_history_url(self) -> str:
        return reverse("films:category_history", kwargs={"show": self.ceremony.show.slug, "slug": self.canonical_slug})


class ContenderQuerySet(models.QuerySet):
    def nominees(self):
        return self.filter(is_nominee=True)

    def winners(self):
        return self.filter(is_winner=True)


class Contender(models.Model):
    """One entry in a category: a film, a performance, a song... Ties: several winners."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="contenders")
    name = models.CharField(max_length=500, help_text="The nomination as printed, e.g. a name or a title.")
    detail = models.CharField(max_length=500, blank=True, help_text="A character, a song title...")
    note = models.TextField(blank=True)
    citation = models.TextField(blank=True)
    films = models.ManyToManyField(Film, through="ContenderFilm", related_name="contenders", blank=True)
    people = models.ManyToManyField(Person, through="ContenderPerson", related_name="contenders", blank=True)
    is_nominee = models.BooleanField(default=True, help_text="Off for long-list contenders that were not nominated.")
    is_winner = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    import_key = models.CharField(
        max_length=64, blank=True, help_text="Identifies the source row, so that a re-import updates it in place."
    )

    objects = ContenderQuerySet.as_manager()

    class Meta:
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "import_key"], condition=~Q(import_key=""), name="contender_unique_import_key"
            ),
            models.CheckConstraint(
                condition=Q(is_nominee=True) | Q(is_winner=False),
                name="contender_winner_is_nominee",
                violation_error_message="A winner must be a nominee.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def printed_credit(self) -> str:
        """The nomination as printed, when it says more than its people's names (uses prefetched people)."""
        names = [person.name for person in self.people.all()]
        if names and (self.name in names or self.name == ", ".join(names)):
            return ""
        return self.name


class ContenderFilm(models.Model):
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE)
    film = models.ForeignKey(Film, on_delete=models.CASCADE)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["contender", "film"], name="contenderfilm_unique")]

    def __str__(self) -> str:
        return f"{self.contender_id} – {self.film_id}"


class ContenderPerson(models.Model):
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["contender", "person"], name="contenderperson_unique")]

    def __str__(self) -> str:
        return f"{self.contender_id} – {self.person_id}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}


def display_category_name(name: str) -> str:
    """ "ACTOR IN A LEADING ROLE" -> "Actor in a Leading Role"; keeps parentheses."""
    words = name.lower().split(" ")
    out = []
    for i, word in enumerate(words):
        lead = ""
        if word.startswith("("):
            lead, word = "(", word[1:]
        if i and word in _SMALL_WORDS and not lead:
            out.append(lead + word)
        else:
            out.append(lead + word[:1].upper() + word[1:])
    return " ".join(out)
