"""manage.py backup / restore: one archive of the database, the two CAs' keys and the stored files.

areas.py names the directories that hold data of record, database.py dumps and restores each database
vendor, archive.py writes and checks the tar and its manifest, services.py puts them together.
"""
