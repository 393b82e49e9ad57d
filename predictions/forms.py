"""The category ballot as a plain HTML form: a numbered select per contender (and, for experts and
editors, a rationale). It works without JavaScript; static/js/ranking.js only sets the same selects."""

import re

from django import forms
from django.core.exceptions import ValidationError

from predictions.models import RATIONALE_MAX

_RANK_KEY = re.compile(r"^rank_(.+)$")
_RATIONALE_KEY = re.compile(r"^rationale_(.+)$")
NOT_RANKED = "—"


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


class CategoryBallotForm(forms.Form):
    """`contenders` are (contender, label) pairs in the order the page lists them.

    After validation, `ranking` lists contender ids best first (ranks compacted: 1, 3, 7 -> 1, 2, 3)
    and `rationales` maps contender ids to text. Fields posted for contenders that are not on the
    page are passed on, not dropped, so that the service refuses them with its own message.
    """

    def __init__(self, *args, contenders, with_rationales: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.contenders = list(contenders)
        self.labels = {contender.id: label for contender, label in self.contenders}
        choices = [("", NOT_RANKED)] + [(str(i), str(i)) for i in range(1, len(self.contenders) + 1)]
        for contender, label in self.contenders:
            self.fields[f"rank_{contender.id}"] = forms.TypedChoiceField(
                label=f"Rank of {label}",
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.Select(attrs={"class": "rank-select"}),
            )
            if with_rationales:
                self.fields[f"rationale_{contender.id}"] = forms.CharField(
                    label=f"Why {label}? (optional)",
                    max_length=RATIONALE_MAX,
                    required=False,
                    widget=forms.Textarea(
                        attrs={
                            "rows": 2,
                            "class": "rank-rationale-input",
                            "aria-describedby": f"count_rationale_{contender.id}",
                            "data-counter": f"count_rationale_{contender.id}",
                        }
                    ),
                )
        self.ranking: list[int] = []
        self.rationales: dict[int, str] = {}

    def _foreign_fields(self) -> tuple[list[tuple[int, int]], dict[int, str]]:
        """Posted rank_<id> and rationale_<id> fields that name no contender of this page."""
        ranks, rationales = [], {}
        for key in self.data:
            if key in self.fields:
                continue
            rank_match, rationale_match = _RANK_KEY.match(key), _RATIONALE_KEY.match(key)
            match = rank_match or rationale_match
            value = (self.data.get(key) or "").strip()
            if not match or not value:
                continue
            if not match.group(1).isdigit():
                raise ValidationError("This ballot names a contender that does not exist.", code="unknown")
            contender_id = int(match.group(1))
            if rationale_match:
                rationales[contender_id] = value
            elif value.isdigit() and int(value) >= 1:
                ranks.append((int(value), contender_id))
            else:
                raise ValidationError("Choose each rank from the list.", code="bad_rank")
        return ranks, rationales

    def clean(self):
        cleaned = super().clean()
        by_rank: dict[int, list[tuple[int, int]]] = {}
        for position, (contender, _label) in enumerate(self.contenders):
            rank = cleaned.get(f"rank_{contender.id}")
            if rank is not None:
                by_rank.setdefault(rank, []).append((position, contender.id))
        shared = sorted(rank for rank, entries in by_rank.items() if len(entries) > 1)
        if shared:
            rank = shared[0]
            names = _names([self.labels[cid] for _p, cid in by_rank[rank]])
            raise ValidationError(
                f"Rank {rank} is given to both {names}. Give each contender its own rank.", code="duplicate_rank"
            )
        foreign_ranks, foreign_rationales = self._foreign_fields()
        ordered = [(rank, position, cid) for rank, entries in by_rank.items() for position, cid in entries]
        ordered += [(rank, len(self.contenders), cid) for rank, cid in foreign_ranks]
        self.ranking = [cid for _rank, _position, cid in sorted(ordered)]
        self.rationales = {
            contender.id: text
            for contender, _label in self.contenders
            if (text := (cleaned.get(f"rationale_{contender.id}") or "").strip())
        }
        self.rationales.update(foreign_rationales)
        return cleaned
