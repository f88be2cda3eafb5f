from django import forms
from django.utils.translation import gettext_lazy as _

from verticals.aesthetic.consents.models import SignerRole


class ConsentFormForm(forms.Form):
    name = forms.CharField(label=_("Procedure or form name"), max_length=120)
    services = forms.ModelMultipleChoiceField(
        label=_("Required for"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A client signs this form before any of these services is completed."),
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    text_en = forms.CharField(label=_("Text in English"), widget=forms.Textarea(attrs={"rows": 10}))
    text_zh = forms.CharField(
        label=_("Text in Simplified Chinese"), widget=forms.Textarea(attrs={"rows": 10})
    )
    publish = forms.BooleanField(
        label=_("Publish this text (a published version never changes; editing makes a new one)"),
        required=False,
    )

    def __init__(self, *args, consent_form=None, **kwargs):
        from django.db.models import Q

        from scheduling.models import Service

        super().__init__(*args, **kwargs)
        # Services on offer, and any retired one the form is still tied to.
        offered = Q(active=True)
        if consent_form is not None:
            offered |= Q(aesthetic_consent_forms=consent_form)
        self.fields["services"].queryset = (
            Service.objects.filter(offered).distinct().order_by("name")
        )


class SignForm(forms.Form):
    signer_role = forms.ChoiceField(
        label=_("Who signs"),
        choices=SignerRole.choices,
        initial=SignerRole.CLIENT,
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(label=_("Name of the person signing"), max_length=120)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
    language = forms.CharField(widget=forms.HiddenInput)
