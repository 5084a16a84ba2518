"""django-import-export resources whose exported text is safe in spreadsheets."""

from import_export import resources

from .files import neutralise_formula


class FormulaSafeResource(resources.ModelResource):
    """A ModelResource whose exported text cannot run as a spreadsheet formula (see neutralise_formula)."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return neutralise_formula(value) if isinstance(value, str) else value
