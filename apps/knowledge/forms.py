"""Forms of the portal's Help pages and of ratings."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .choices import BINARY_LABELS, RATING_LABELS, RatingScale


def rating_field_choices():
    labels = BINARY_LABELS if settings.CSAT_SCALE == RatingScale.BINARY else RATING_LABELS
    return [(str(value), label) for value, label in sorted(labels.items(), reverse=True)]


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Your rating"), coerce=int, widget=forms.RadioSelect, choices=())
    comment = forms.CharField(
        label=_("Anything you want to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = rating_field_choices()


class HelpSearchForm(forms.Form):
    q = forms.CharField(label=_("Search the help articles"), required=False, max_length=100)


class DeflectionForm(forms.Form):
    deflection_token = forms.RegexField(regex=r"^[A-Za-z0-9_-]{16,64}$")
    article = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
