"""The AI app's pieces of the back office's ticket page, registered in apps.py (apps/tickets/extensions.py):

- the triage panel (side column) with the suggestions of the ticket's TicketInsight and the state of the
  provider's circuit breaker (when it is not closed), and the URL its buttons post to, which applies one
  suggestion through the ticket services (recorded in the history);
- the translation panel (main column): `?translate=1` shows the ticket in the agent's language.

And, for admins only, the learning triage's pages: the trained model versions (read-only) and the "AI quality"
page (`admin:ai_triagemodel_quality`) with the same figures as `train_triage --report` and GET /api/ai/quality/.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from apps.accounts.permissions import AdminsOnlyMixin, NoWritesMixin, is_admin
from apps.tickets import services as ticket_services
from apps.tickets.extensions import AdminAction, AdminPanel, AdminUrl

from . import breaker
from .backfill import backfill_queue
from .choices import ModelStatus
from .models import TriageBackfill, TriageModel
from .providers import ProviderError, TranslationUnavailable
from .selectors import insight_for_ticket, triage_quality
from .services import ticket_translation


def insight_context(model_admin, request, ticket) -> dict:
    """The ticket's insight, whether the user may apply its suggestions, and the provider's circuit breaker."""
    can_apply = model_admin.has_change_permission(request, ticket)
    return {
        "insight": insight_for_ticket(ticket),
        "can_apply_insight": can_apply,
        "ai_breaker": breaker.state(settings.AI_PROVIDER),
    }


def translation_context(model_admin, request, ticket) -> dict:
    """`?translate=1`: the description and the visible comments in the agent's language (cached)."""
    if request.method != "GET" or request.GET.get("translate") != "1":
        return {}
    language = request.user.language or settings.LANGUAGE_CODE
    try:
        return {"translation": ticket_translation(user=request.user, ticket=ticket, language=language)}
    except TranslationUnavailable:
        return {"translation_error": _("Translation is unavailable with the configured AI provider.")}
    except ProviderError:
        return {"translation_error": _("The translation service failed; try again later.")}


def insight_apply_view(model_admin, request, object_id):
    """Apply one suggestion of the ticket's AI insight through the ticket services (recorded in the history)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ticket = model_admin.get_object(request, unquote(object_id))
    if ticket is None or not model_admin.has_view_permission(request, ticket):
        raise Http404(_("No ticket matches the given query."))
    if not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    insight = insight_for_ticket(ticket)
    what = request.POST.get("apply")
    try:
        if what == "priority" and insight is not None and insight.suggested_priority:
            ticket_services.ticket_update(ticket=ticket, actor=request.user, priority=insight.suggested_priority)
        elif what == "department" and insight is not None and insight.suggested_department is not None:
            ticket_services.ticket_transfer(ticket=ticket, actor=request.user, department=insight.suggested_department)
        else:
            model_admin.message_user(request, _("There is no such suggestion to apply."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    except ValidationError as exc:
        model_admin.message_user(request, " ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    model_admin.message_user(request, _("The suggestion was applied."), messages.SUCCESS)
    # A transfer can take the ticket out of the user's scope: then back to the list.
    model_admin.forget_permissions(request)
    if not model_admin.has_view_permission(request, ticket):
        return HttpResponseRedirect(reverse("admin:tickets_ticket_changelist"))
    return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))


def triage_with_ai(model_admin, request, queryset):
    """The ticket list's action: triage the selected tickets in the background, then show the progress page."""
    ticket_ids = list(queryset.order_by().values_list("pk", flat=True))
    job = backfill_queue(ticket_ids=ticket_ids, requested_by=request.user)
    return HttpResponseRedirect(reverse("admin:tickets_ticket_ai_backfill", args=[job.pk]))


def backfill_progress_view(model_admin, request, job_id):
    """How far a "Triage with AI" run got; the page reloads itself every two seconds until it is finished."""
    if not is_admin(request.user):
        raise PermissionDenied
    job = TriageBackfill.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Triage with AI"),
        "job": job,
        "percent": round(100 * job.done / job.total) if job.total else 100,
        "changelist_url": reverse("admin:tickets_ticket_changelist"),
    }
    return TemplateResponse(request, "ai/admin/backfill_progress.html", context)


TRIAGE_ACTION = AdminAction(
    name="triage_with_ai",
    action=triage_with_ai,
    description=_("Triage with AI (suggestions only, nobody is notified)"),
    allowed=is_admin,
)
BACKFILL_PROGRESS_URL = AdminUrl(
    name="tickets_ticket_ai_backfill", route="ai-backfill/<int:job_id>/", view=backfill_progress_view
)

INSIGHT_PANEL = AdminPanel(
    name="ai-insight", template="ai/admin/ticket_insight.html", column="side", context=insight_context
)
TRANSLATION_PANEL = AdminPanel(
    name="ai-translation", template="ai/admin/ticket_translation.html", column="main", context=translation_context
)
INSIGHT_APPLY_URL = AdminUrl(
    name="tickets_ticket_insight_apply", route="<str:object_id>/insight/apply/", view=insight_apply_view
)


@admin.register(TriageModel)
class TriageModelAdmin(NoWritesMixin, AdminsOnlyMixin, ModelAdmin):
    """The trained versions of the learning triage, for admins; written only by the training (read-only here)."""

    list_display = ("target", "version", "status_badge", "accuracy_display", "baseline_display", "training_size",
                    "trained_at")  # fmt: skip
    list_filter = ("target", "status")
    ordering = ("target", "-version")
    exclude = ("payload",)
    list_before_template = "ai/admin/triagemodel_tools.html"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("payload")

    def get_urls(self):
        return [
            path("quality/", self.admin_site.admin_view(self.quality_view), name="ai_triagemodel_quality"),
            *super().get_urls(),
        ]

    def quality_view(self, request):
        """The AI quality page: per target the held-out figures of the model in use (admins only)."""
        if not is_admin(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("AI quality"),
            "quality": triage_quality(),
            "opts": self.model._meta,
            "changelist_url": reverse("admin:ai_triagemodel_changelist"),
        }
        return TemplateResponse(request, "ai/admin/quality.html", context)

    @display(
        description=_("status"),
        label={ModelStatus.ACTIVE: "success", ModelStatus.RETIRED: "default", ModelStatus.REJECTED: "warning"},
    )
    def status_badge(self, obj):
        return obj.status, obj.get_status_display()

    @display(description=_("held-out accuracy"), ordering="accuracy")
    def accuracy_display(self, obj):
        return f"{obj.accuracy * 100:.1f} %"

    @display(description=_("majority class"), ordering="baseline_accuracy")
    def baseline_display(self, obj):
        return f"{obj.baseline_accuracy * 100:.1f} %"
