from singlewindow.readonly_admin import register

from .models import LocalAccount, User

register(User, exclude=("password", "user_permissions", "groups"),
         list_display=("username", "display_name", "role", "enterprise", "is_active", "last_login"),
         list_filter=("role", "is_active"), search_fields=("username", "display_name", "mobile"))
register(LocalAccount, exclude=("password",))
