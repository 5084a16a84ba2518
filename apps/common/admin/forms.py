"""The one way the back office writes: a form whose save is a set of service calls, made while it validates.

Django's admin saves a form it has validated without asking again, but a service can still refuse (a stale
version, an illegal transition, a missing permission, a rule about who may belong where). `ServiceModelForm`
runs the services as the last step of validation, inside a savepoint, so a refusal becomes a form error and
nothing is written. `ServiceAdminMixin` is the ModelAdmin side: it tells the form who acts and writes
nothing itself (no `save_model`, no `save_related`); deleting, too, goes through a service
(`delete_with_service`), and the rows a delete takes with it are the service's to decide (`get_deleted_objects`).
"""

import copy

from django import forms
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose "save" is `apply()`: service calls, made at the end of validation in a savepoint.

    The services validate the model themselves, so the form neither constructs nor validates the instance:
    `apply()` reads `cleaned_data` and `before` (a copy of the instance as the request found it; the bound
    instance is not touched) and returns what the services saved.
    """

    actor = None  # the acting user; ServiceAdminMixin.get_form sets it per request
    error_fields: dict[str, str] = {}  # a service's error key → the form field that shows it
    # What a refusal without words of its own (a bare PermissionDenied) says.
    denied_message = _("Your account is not allowed to do this. If you think it should be, contact the help desk.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.before = copy.copy(self.instance)
        self.result = None

    def apply(self):
        raise NotImplementedError

    def filled_instance(self):
        """A copy of the instance with the form's values, for services that save a whole object."""
        return construct_instance(self, copy.copy(self.before), self._meta.fields, self._meta.exclude)

    def _post_clean(self):
        if self._errors:
            return
        if self.actor is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs an actor")
        try:
            with transaction.atomic():
                self.result = self.apply()
        except ValidationError as exc:
            self.add_service_error(exc)
        except PermissionDenied as exc:
            self.add_error(None, str(exc) or self.denied_message)

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            field = self.error_fields.get(key, key)
            self.add_error(field if field in self.fields else None, errors)

    def save(self, commit=True):
        # Everything was written by the services during validation.
        if self.result is None:
            raise ValueError("The form was not validated, or the services refused it.")
        return self.result

    def save_m2m(self):
        """Nothing to do: many-to-many fields are written by the services in apply()."""


class ServiceAdminMixin:
    """For a ModelAdmin whose forms are ServiceModelForms: the form learns who acts; the admin writes nothing."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The form calls the services while validating, and they need to know who acts.
        return type(form.__name__, (form,), {"actor": request.user})

    def save_form(self, request, form, change):
        return form.save(commit=False)

    def save_model(self, request, obj, form, change):
        """Nothing left to write: the form's services saved it (never `obj.save()`)."""

    def save_related(self, request, form, formsets, change):
        """Nothing left to write: many-to-many fields were saved by the form's services."""

    def delete_with_service(self, request, obj) -> None:
        """Delete `obj` through its service; an admin that lets anyone delete must say which."""
        raise ImproperlyConfigured(f"{type(self).__name__} names no service to delete with")

    def delete_model(self, request, obj):
        self.delete_with_service(request, obj)

    def get_deleted_objects(self, objs, request):
        """What the delete page lists, without asking each cascaded row's own page for a delete permission.

        Who may delete the object is this admin's `has_delete_permission` and the service's own check; the rows
        that go with it (a ticket's or an account's notifications, whose page lets nobody delete one alone) are
        the service's business. Protected relations still block the delete.
        """
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_queryset(self, request, queryset):
        # "Delete selected": all rows or none.
        with transaction.atomic():
            for obj in queryset:
                self.delete_with_service(request, obj)
