"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's."""
from django.conf import settings
from django.core.checks import Error, Tags, register

PLACEHOLDER_SECRET = "change-me"  # how deploy/singlewindow.env.example's SECRET_KEY begins


@register(Tags.security, deploy=True)
def secret_key_is_not_the_example(app_configs, **kwargs):
    if settings.SECRET_KEY.startswith(PLACEHOLDER_SECRET):
        return [Error("SECRET_KEY is still the example's placeholder.",
                      hint="Make one: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
                      id="singlewindow.E001")]
    return []


@register(Tags.security, deploy=True)
def proxies_are_addresses(app_configs, **kwargs):
    from singlewindow.http import proxy_networks

    try:
        proxy_networks(tuple(settings.TRUSTED_PROXIES))
    except ValueError as error:
        return [Error(f"TRUSTED_PROXIES holds something that is not an address or network: {error}",
                      id="singlewindow.E002")]
    return []
