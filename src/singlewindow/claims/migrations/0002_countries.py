"""ISO 3166-1 from the committed table (claims/data/countries.csv)."""
from django.db import migrations


def load(apps, schema_editor):
    from singlewindow.claims import iso

    iso.load_countries(apps.get_model("claims", "Country"))


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
