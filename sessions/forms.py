import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sessions import lockout, ratelimit
from sessions.models import Partij, Sessie, Team


def wait_message(seconds: int) -> str:
    """Tells someone to wait before the next login, and roughly how long."""
    if seconds < 60:
        return ngettext(
            "Too many failed attempts. Wait %(n)d second and try again.",
            "Too many failed attempts. Wait %(n)d seconds and try again.",
            seconds,
        ) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many failed attempts. Wait about %(n)d minute and try again.",
        "Too many failed attempts. Wait about %(n)d minutes and try again.",
        minutes,
    ) % {"n": minutes}


class LockoutMixin:
    """Every login form: sessions.lockout decides before the password is checked, and counts
    what the check found. `wait` is set (in seconds) when the login had to wait."""

    wait = 0

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()  # nothing is checked without both
        address = ratelimit.client_ip(self.request) if self.request else ""
        attempt = lockout.begin(username=username, address=address)
        if attempt.wait:
            self.wait = attempt.wait
            # The same answer whether or not the account exists.
            raise ValidationError(wait_message(attempt.wait), code="wait")
        try:
            cleaned = super().clean()
        except ValidationError:
            lockout.failed(attempt)
            raise
        except BaseException:
            lockout.release(attempt)
            raise
        lockout.succeeded(attempt)
        return cleaned


class LoginForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass


class JoinForm(forms.Form):
    """A participant's name and the partij they represent: one of the opgave's, or a new one."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("Shown to the others at your tafel."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    partij = forms.ModelChoiceField(
        label=_("The partij you represent"),
        queryset=Partij.objects.none(),
        required=False,
        empty_label=_("— another partij, not in this list —"),
    )
    new_partij = forms.CharField(
        label=_("Name of your partij, if it is not in the list"),
        max_length=200,
        required=False,
    )

    def __init__(self, *args, sessie: Sessie, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partij"].queryset = sessie.opgave.partijen.order_by("name")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("partij") and not (cleaned.get("new_partij") or "").strip():
            self.add_error(
                "partij", _("Choose your partij, or type its name if it is not in the list.")
            )
        return cleaned


# Facilitation ---------------------------------------------------------------------------------


class OpgaveForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    verbindende_vraag = forms.CharField(
        label=_("Verbindende vraag"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    ambitie = forms.CharField(
        label=_("Ambitie"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    formulering = forms.CharField(
        label=_("Formulering"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        if teams.count() == 1:
            self.fields["team"].initial = teams.first()


class PartijForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    wereld = forms.ChoiceField(label=_("World"), choices=Partij.Wereld.choices)
    status = forms.ChoiceField(label=_("Status"), choices=Partij.Status.choices)
    toelichting = forms.CharField(label=_("Note"), max_length=500, required=False)


SESSIE_YEARS = (2000, 2100)


class SessieForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    timer_minutes = forms.IntegerField(
        label=_("Minutes per step on the timer"), min_value=1, max_value=240, initial=15
    )
    language = forms.ChoiceField(
        label=_("Language of the sessie"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        help_text=_("Participants start in this language; each can switch on their own page."),
    )
    tafels = forms.IntegerField(
        label=_("Number of tafels to start with"),
        min_value=1,
        max_value=30,
        initial=1,
        required=False,
    )
    # A new sessie of a lopend proces goes on from a kaart of an earlier one (services.carry);
    # the view offers the opgave's written kaarten.
    bron = forms.TypedChoiceField(
        label=_("Start from"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_(
            "Its perspectieven, halen and brengen, koppelingen and open vervolgstappen are "
            "carried onto the new kaarten, marked with the sessie they came from. The earlier "
            "kaart does not change."
        ),
    )
    onto = forms.ChoiceField(
        label=_("Carry them onto"),
        choices=[
            ("tafels", _("every tafel's kaart")),
            ("plenair", _("the plenary kaart")),
        ],
        initial="tafels",
        required=False,
        widget=forms.RadioSelect,
    )

    def offer_sources(self, tafels) -> None:
        """The kaarten this sessie can start from; no choice when there are none."""
        if not tafels:
            del self.fields["bron"], self.fields["onto"]
            return
        self.fields["bron"].choices = [
            ("", _("Empty kaarten")),
            *((t.pk, f"{t.sessie.title}: {t}") for t in tafels),
        ]

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        # Year 1 or 9999 in local time is out of range once converted to UTC or back.
        if starts_at and not SESSIE_YEARS[0] <= starts_at.year <= SESSIE_YEARS[1]:
            raise forms.ValidationError(
                _("Choose a date from %(first)d to %(last)d.")
                % {"first": SESSIE_YEARS[0], "last": SESSIE_YEARS[1]}
            )
        return starts_at
