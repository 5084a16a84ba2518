"""Canned responses and macros in the back office, and their picker in the ticket page's composer.

The list and form (`admin:macros_macro_*`): admins manage every macro, of any scope; agents their own private
ones (the form saves them as private and theirs) and see the shared ones they may use, read-only. Saving goes
through `macro_save` while the form validates (ServiceModelForm).

The picker (an AdminPanel of the composer column, registered in apps.py) lists the macros the agent may use on
the ticket. A canned response is inserted into the reply box: its text comes from `admin:tickets_ticket_macro_text`
(JSON, rendered for this ticket: the requester's language, placeholders filled) and goes to
`window.ticketComposer.insert(text)`. A macro with actions is applied by a POST to
`admin:tickets_ticket_macro_apply`, which runs `macro_apply` and comes back to the ticket with a message.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminTextareaWidget

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User
from apps.accounts.permissions import is_admin
from apps.common.admin.forms import ServiceAdminMixin, ServiceModelForm
from apps.tickets.extensions import AdminPanel, AdminUrl

from .choices import AssignTo, Scope
from .models import Macro
from .permissions import can_manage_macro, can_use_macros
from .placeholders import help_text as placeholders_help
from .selectors import macro_get_for_ticket, macros_for_ticket, macros_listed_for
from .services import macro_apply, macro_delete, macro_save, macro_text

FIELDS = ("title", "scope", "department", "body", "note", "set_status", "set_priority", "assign", "assignee",
          "is_active")  # fmt: skip
AGENT_FIELDS = tuple(f for f in FIELDS if f not in ("scope", "department"))


def translation_field(code: str) -> str:
    return f"body_{code}"


class MacroForm(ServiceModelForm):
    """Saving is a call to macro_save; the language variants are one text box per site language."""

    class Meta:
        model = Macro
        fields = FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        placeholders = _("Placeholders: %(list)s. Nothing else is replaced.") % {"list": placeholders_help()}
        for name in ("body", "note"):
            if name in self.fields:
                self.fields[name].help_text = f"{self.fields[name].help_text} {placeholders}"
        stored = self.instance.translations or {}
        for code, language in settings.LANGUAGES:
            self.fields[translation_field(code)] = forms.CharField(
                label=_("Reply text in %(language)s") % {"language": language},
                required=False,
                initial=stored.get(code, ""),
                widget=UnfoldAdminTextareaWidget(attrs={"rows": 4}),
                help_text=_("Used instead of the reply text when the requester reads this language."),
            )

    def apply(self) -> Macro:
        macro = self.filled_instance()
        if "scope" not in self.fields:  # an agent's own macro
            macro.scope = Scope.PRIVATE
            macro.owner = self.before.owner if self.before.pk else self.actor
        macro.translations = {
            code: self.cleaned_data.get(translation_field(code), "") for code, _language in settings.LANGUAGES
        }
        return macro_save(macro=macro, actor=self.actor)


@admin.register(Macro)
class MacroAdmin(ServiceAdminMixin, ModelAdmin):
    form = MacroForm
    list_display = ("title", "kind", "scope_display", "is_active", "updated_at")
    list_filter = ("scope", "is_active", "department")
    search_fields = ("title", "body")
    ordering = ("title", "id")

    def get_queryset(self, request):
        return macros_listed_for(request.user)

    def has_module_permission(self, request):
        return can_use_macros(request.user)

    def has_view_permission(self, request, obj=None):
        return can_use_macros(request.user)

    def has_add_permission(self, request):
        return can_use_macros(request.user)

    def has_change_permission(self, request, obj=None):
        return can_use_macros(request.user) and (obj is None or can_manage_macro(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return can_use_macros(request.user) and (obj is None or can_manage_macro(request.user, obj))

    def _variant_fields(self, request, obj) -> list[str]:
        """One text box per language on a form; on a page the user may only read, the variants as text."""
        if obj is not None and not can_manage_macro(request.user, obj):
            return ["variants_display"]
        return [translation_field(code) for code, _language in settings.LANGUAGES]

    def get_fields(self, request, obj=None):
        fields = FIELDS if is_admin(request.user) else AGENT_FIELDS
        return [*fields, *self._variant_fields(request, obj)]

    def get_fieldsets(self, request, obj=None):
        fields = FIELDS if is_admin(request.user) else AGENT_FIELDS
        texts = [f for f in fields if f in ("title", "scope", "department", "body", "is_active")]
        actions = [f for f in fields if f in ("note", "set_status", "set_priority", "assign", "assignee")]
        return (
            (None, {"fields": texts}),
            (_("Language variants"), {"fields": self._variant_fields(request, obj)}),
            (_("Actions (optional: without them, this is a canned response)"), {"fields": actions}),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not can_manage_macro(request.user, obj):
            return [*self.get_fields(request, obj)]
        return ()

    @display(description=_("reply text per language"))
    def variants_display(self, obj):
        languages = dict(settings.LANGUAGES)
        lines = [f"{languages.get(code, code)}: {text}" for code, text in sorted((obj.translations or {}).items())]
        return "\n\n".join(lines) or "—"

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = FIELDS if is_admin(request.user) else AGENT_FIELDS
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def delete_with_service(self, request, obj) -> None:
        macro_delete(macro=obj, actor=request.user)

    @display(description=_("kind"))
    def kind(self, obj):
        return _("Macro") if obj.has_actions else _("Canned response")

    @display(description=_("who may use it"), ordering="scope")
    def scope_display(self, obj):
        if obj.scope == Scope.DEPARTMENT:
            return obj.department.name
        if obj.scope == Scope.PRIVATE:
            return _("Private: %(owner)s") % {"owner": obj.owner}
        return obj.get_scope_display()


# The composer's picker -------------------------------------------------------------------------------------------


def _actions(macro: Macro) -> list[str]:
    """What a macro does besides its reply, in words, for the picker."""
    done = []
    if macro.note:
        done.append(str(_("adds an internal note")))
    if macro.set_priority:
        done.append(str(_("priority: %(value)s") % {"value": macro.get_set_priority_display()}))
    if macro.assign == AssignTo.ME:
        done.append(str(_("assigns it to you")))
    elif macro.assign == AssignTo.NOBODY:
        done.append(str(_("unassigns it")))
    elif macro.assign == AssignTo.USER and macro.assignee is not None:
        done.append(str(_("assigns it to %(name)s") % {"name": macro.assignee.get_full_name() or macro.assignee}))
    if macro.set_status:
        done.append(str(_("status: %(value)s") % {"value": macro.get_set_status_display()}))
    return done


def picker_context(model_admin, request, ticket) -> dict:
    """The macros the agent may use on this ticket (none unless they may write on it)."""
    if not model_admin.has_change_permission(request, ticket):
        return {"macros_picker": []}
    macros = macros_for_ticket(request.user, ticket).select_related("assignee")
    return {"macros_picker": [{"macro": macro, "actions": _actions(macro)} for macro in macros]}


def _ticket_for_writing(model_admin, request, object_id):
    ticket = model_admin.get_object(request, unquote(object_id))
    if ticket is None or not model_admin.has_view_permission(request, ticket):
        raise Http404(_("No ticket matches the given query."))
    if not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    return ticket


def macro_text_view(model_admin, request, object_id, macro_id):
    """GET: the macro's reply text for this ticket, as JSON `{"text": ...}`, for the composer to insert."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    ticket = _ticket_for_writing(model_admin, request, object_id)
    macro = macro_get_for_ticket(user=request.user, ticket=ticket, pk=macro_id)
    return JsonResponse({"text": macro_text(macro=macro, ticket=ticket, actor=request.user)})


def macro_apply_view(model_admin, request, object_id, macro_id):
    """POST: apply the macro to the ticket (reply, note, actions in one transaction), then back to the ticket."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ticket = _ticket_for_writing(model_admin, request, object_id)
    macro = macro_get_for_ticket(user=request.user, ticket=ticket, pk=macro_id)
    page = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    try:
        macro_apply(macro=macro, ticket=ticket, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else (str(exc) or _("Not allowed."))
        message = _("“%(title)s” was not applied: %(error)s") % {"title": macro.title, "error": text}
        model_admin.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(page)
    model_admin.message_user(request, _("“%(title)s” was applied.") % {"title": macro.title}, messages.SUCCESS)
    # An assignment elsewhere can take the ticket out of the agent's scope: then back to the list.
    model_admin.forget_permissions(request)
    if not model_admin.has_view_permission(request, ticket):
        return HttpResponseRedirect(reverse("admin:tickets_ticket_changelist"))
    return HttpResponseRedirect(page)


PICKER_PANEL = AdminPanel(
    name="macros", template="macros/admin/ticket_picker.html", column="composer", context=picker_context
)
TEXT_URL = AdminUrl(
    name="tickets_ticket_macro_text", route="<str:object_id>/macros/<int:macro_id>/text/", view=macro_text_view
)
APPLY_URL = AdminUrl(
    name="tickets_ticket_macro_apply", route="<str:object_id>/macros/<int:macro_id>/apply/", view=macro_apply_view
)
