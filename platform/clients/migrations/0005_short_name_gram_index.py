"""A narrow table of every client's one- and two-character name grams (characters,
adjacent pairs, first one and two initials), kept by a trigger, so a short search reads
an ordered btree index (index-only) instead of fetching thousands of wide client rows to
sort and count them. bench/search.py: short queries were the p95 tail at 200,000 clients.

The trigger function pins its search_path to the schema it was created in (each tenant
schema runs this migration), so it always writes its own tenant's table."""

from django.db import migrations

CREATE = """
CREATE TABLE clients_namegram (
    client_id integer NOT NULL REFERENCES clients_client (id) ON DELETE CASCADE,
    gram varchar(4) NOT NULL,
    sort_key varchar(300) COLLATE "C" NOT NULL
);
CREATE INDEX clients_namegram_lookup ON clients_namegram (gram, sort_key, client_id);
CREATE INDEX clients_namegram_client ON clients_namegram (client_id);

CREATE FUNCTION clients_namegram_sync() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.name_grams IS NOT DISTINCT FROM OLD.name_grams
           AND NEW.sort_key IS NOT DISTINCT FROM OLD.sort_key THEN
            RETURN NEW;
        END IF;
        DELETE FROM clients_namegram WHERE client_id = OLD.id;
    END IF;
    INSERT INTO clients_namegram (client_id, gram, sort_key)
    SELECT NEW.id, g, NEW.sort_key FROM unnest(NEW.name_grams) AS g WHERE char_length(g) <= 2;
    RETURN NEW;
END
$$;

CREATE TRIGGER clients_namegram_sync
AFTER INSERT OR UPDATE OF name_grams, sort_key ON clients_client
FOR EACH ROW EXECUTE FUNCTION clients_namegram_sync();

INSERT INTO clients_namegram (client_id, gram, sort_key)
SELECT c.id, g, c.sort_key FROM clients_client c, unnest(c.name_grams) AS g
WHERE char_length(g) <= 2;
"""

DROP = """
DROP TRIGGER IF EXISTS clients_namegram_sync ON clients_client;
DROP FUNCTION IF EXISTS clients_namegram_sync();
DROP TABLE IF EXISTS clients_namegram;
"""


class Migration(migrations.Migration):
    dependencies = [("clients", "0004_tags_flags_custom_fields_saved_lists")]

    operations = [migrations.RunSQL(CREATE, DROP)]
