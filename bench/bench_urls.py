"""The site's URLs plus two bare views: the baselines the page benchmarks are measured against (worker.py pages)."""
from django.contrib.auth import get_user
from django.http import HttpResponse
from django.urls import path

from singlewindow.urls import urlpatterns as site


def bare(request):
    return HttpResponse("ok")


def bare_with_user(request):
    """request.user, as every page loads it (the middleware's, which may come from the cache)."""
    return HttpResponse(request.user.username)


def bare_with_user_uncached(request):
    """The user as Django loads it: the session's user by a query (the baseline of the cached user)."""
    return HttpResponse(get_user(request).username)


urlpatterns = [path("bench/bare/", bare), path("bench/user/", bare_with_user),
               path("bench/user-uncached/", bare_with_user_uncached), *site]
