"""ISO 3166-1 from the committed table (claims/data/countries.csv)."""
from django.db import migrations


def load(apps, schema_editor):
    from singlewindow.claims import iso

    Country = apps.get_model("claims", "Country")
    Country.objects.bulk_create(
        [Country(code=row["alpha_2"], alpha_3=row["alpha_3"], numeric=row["numeric"], name_en=row["name_en"],
                 name_zh=row["name_zh"]) for row in iso.countries()],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
