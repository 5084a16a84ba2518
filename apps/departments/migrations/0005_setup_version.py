"""The version of the departments' setup (apps/departments/snapshot.py), on PostgreSQL.

A one-row table holds a number that a trigger on the departments, routing rules and SLA policies moves to a
new value from a sequence after any write to them (INSERT, UPDATE, DELETE, TRUNCATE, whatever path made it).
Other databases get nothing: there the setup is read every time.
"""

from django.db import migrations

TABLES = ("departments_department", "departments_routingrule", "departments_slapolicy")

CREATE = [
    "CREATE SEQUENCE departments_setup_version_seq",
    "CREATE TABLE departments_setup_version (id integer PRIMARY KEY CHECK (id = 1), value bigint NOT NULL)",
    "INSERT INTO departments_setup_version (id, value) VALUES (1, nextval('departments_setup_version_seq'))",
    """
    CREATE FUNCTION departments_setup_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE departments_setup_version SET value = nextval('departments_setup_version_seq') WHERE id = 1;
        RETURN NULL;
    END
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_setup_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION departments_setup_version_bump()"
        for table in TABLES
    ),
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_setup_version ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS departments_setup_version_bump()",
    "DROP TABLE IF EXISTS departments_setup_version",
    "DROP SEQUENCE IF EXISTS departments_setup_version_seq",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0004_department_holidays"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
