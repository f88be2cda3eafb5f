"""The database keeps the card ledger honest, whatever code or console writes:

- a new ``finance_cardentry`` row adds its amounts to its card's balances in one UPDATE
  (two payments on one card queue behind that row's lock; the card's CHECK constraints
  then refuse a balance below zero, so the second payer's transaction fails instead of
  overdrawing);
- a card's balances change only through that trigger (a direct UPDATE is refused);
- entries are append-only: UPDATE, DELETE and TRUNCATE are refused.
Created in each tenant schema, as every tenant migration is."""

from django.db import migrations

CREATE = """
CREATE FUNCTION finance_card_entry_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('finance.ledger_write', 'on', true);
    UPDATE finance_card
       SET paid_balance = paid_balance + NEW.paid_delta,
           bonus_balance = bonus_balance + NEW.bonus_delta,
           sessions_left = sessions_left + NEW.sessions_delta
     WHERE id = NEW.card_id;
    PERFORM set_config('finance.ledger_write', 'off', true);
    RETURN NEW;
END
$$;
CREATE TRIGGER finance_card_entry_applies AFTER INSERT ON finance_cardentry
    FOR EACH ROW EXECUTE FUNCTION finance_card_entry_apply();

CREATE FUNCTION finance_card_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'card movements are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER finance_card_entry_no_change BEFORE UPDATE OR DELETE ON finance_cardentry
    FOR EACH ROW EXECUTE FUNCTION finance_card_entry_append_only();
CREATE TRIGGER finance_card_entry_no_truncate BEFORE TRUNCATE ON finance_cardentry
    FOR EACH STATEMENT EXECUTE FUNCTION finance_card_entry_append_only();

CREATE FUNCTION finance_card_balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.paid_balance <> 0 OR NEW.bonus_balance <> 0 OR NEW.sessions_left <> 0 THEN
            RAISE EXCEPTION 'a card starts empty; its balance comes from its movements'
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF (NEW.paid_balance, NEW.bonus_balance, NEW.sessions_left)
          IS DISTINCT FROM (OLD.paid_balance, OLD.bonus_balance, OLD.sessions_left)
          AND coalesce(current_setting('finance.ledger_write', true), 'off') <> 'on' THEN
        RAISE EXCEPTION 'a card balance changes only through its movements'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER finance_card_balance_guarded BEFORE INSERT OR UPDATE ON finance_card
    FOR EACH ROW EXECUTE FUNCTION finance_card_balance_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS finance_card_balance_guarded ON finance_card;
DROP FUNCTION IF EXISTS finance_card_balance_guard();
DROP TRIGGER IF EXISTS finance_card_entry_no_truncate ON finance_cardentry;
DROP TRIGGER IF EXISTS finance_card_entry_no_change ON finance_cardentry;
DROP FUNCTION IF EXISTS finance_card_entry_append_only();
DROP TRIGGER IF EXISTS finance_card_entry_applies ON finance_cardentry;
DROP FUNCTION IF EXISTS finance_card_entry_apply();
"""


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_till")]

    operations = [migrations.RunSQL(CREATE, DROP)]
