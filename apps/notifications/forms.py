"""The notification preferences form, shared by the portal's profile page and the back office."""

from django import forms
from django.utils.translation import gettext as _

from .selectors import kind_label, preferences_for
from .services import preferences_set


class PreferencesForm(forms.Form):
    """Two switches per kind of notification the user can receive: in the app, and by e-mail."""

    def __init__(self, *args, user, widget: type[forms.Widget] = forms.CheckboxInput, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.kinds = list(preferences_for(user).items())
        for kind, (in_app, email) in self.kinds:
            name = kind_label(kind)
            for channel, label, initial in (
                ("in_app", _("%(kind)s: in the app") % {"kind": name}, in_app),
                ("email", _("%(kind)s: by e-mail") % {"kind": name}, email),
            ):
                # The table's headers say which switch is which; the label names it for screen readers.
                self.fields[f"{kind}__{channel}"] = forms.BooleanField(
                    label=label, required=False, initial=initial, widget=widget(attrs={"aria-label": label})
                )

    def rows(self) -> list[dict]:
        """One row per kind: its name and the two bound fields, for a table."""
        return [
            {"label": kind_label(kind), "in_app": self[f"{kind}__in_app"], "email": self[f"{kind}__email"]}
            for kind, _channels in self.kinds
        ]

    def save(self) -> None:
        data = self.cleaned_data
        preferences_set(
            user=self.user,
            channels={kind: (data[f"{kind}__in_app"], data[f"{kind}__email"]) for kind, _channels in self.kinds},
        )
