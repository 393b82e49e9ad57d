"""The ballot save on PostgreSQL as one function (predictions.services._ballot_save_cached calls it).

One statement instead of BEGIN, two statements and COMMIT: one round trip, and PL/pgSQL keeps the plans of
its statements for the connection's life instead of planning them on every save. Each statement in it takes
its own snapshot (the function is volatile), so the DELETE sees the picks of a concurrent save of the same
ballot whose row lock the upsert waited for: two tabs saving one ballot run one after the other.

The OddsState index on the versions goes: the sweep reads a few dozen rows, and with the bumped
ballot_version in no index, a save's bump is a heap-only update (no new index entries on the row every save
of a category writes).

Column and table names are Django's defaults for the models as they are now: a migration that renames any
of them must replace this function too (tests/predictions on PostgreSQL run every save through it).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION predictions_ballot_save(
    p_user bigint, p_round bigint, p_category bigint, p_ceremony bigint, p_now timestamptz, p_winners boolean,
    p_eligible bigint[], p_contenders bigint[], p_rationales text[], p_prior double precision, p_combined text
) RETURNS TABLE (
    o_ballot bigint, o_created timestamptz, o_pick bigint, o_contender bigint, o_rank integer, o_rationale text,
    o_locked double precision
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_ballot bigint;
    v_created timestamptz;
BEGIN
    -- Create the ballot or stamp its save time, locking its row, only if the tables agree with the caller's
    -- cached rules: the round is the ceremony's latest-opening open round, and the category's eligible
    -- contenders are exactly p_eligible. Otherwise nothing is written and no row is returned.
    INSERT INTO predictions_ballot (user_id, round_id, category_id, created_at, saved_at)
    SELECT p_user, r.id, p_category, p_now, p_now
    FROM films_round r
    WHERE r.id = p_round AND r.ceremony_id = p_ceremony AND r.opens_at <= p_now AND r.closes_at > p_now
      AND NOT EXISTS (
          SELECT 1 FROM films_round o
          WHERE o.ceremony_id = r.ceremony_id AND o.opens_at > r.opens_at
            AND o.opens_at <= p_now AND o.closes_at > p_now
      )
      AND (
          SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') FROM films_contender c
          WHERE c.category_id = p_category AND (c.is_nominee OR NOT p_winners)
      ) = p_eligible
    ON CONFLICT (user_id, round_id, category_id) DO UPDATE SET saved_at = EXCLUDED.saved_at
    RETURNING id, created_at INTO v_ballot, v_created;
    IF v_ballot IS NULL THEN
        RETURN;
    END IF;

    DELETE FROM predictions_pick WHERE ballot_id = v_ballot;
    -- Each pick is staked at the contender's Combined odds of the moment, else at the prior.
    RETURN QUERY
    WITH fresh AS (
        INSERT INTO predictions_pick (ballot_id, contender_id, rank, rationale, locked_probability, round_id,
                                      category_id, user_id)
        SELECT v_ballot, n.contender_id, n.rank, n.rationale, coalesce(o.probability, p_prior),
               p_round, p_category, p_user
        FROM unnest(p_contenders, p_rationales) WITH ORDINALITY AS n(contender_id, rationale, rank)
        LEFT JOIN predictions_odds o
               ON o.round_id = p_round AND o.contender_id = n.contender_id AND o.segment = p_combined
        RETURNING id, contender_id, rank, rationale, locked_probability
    )
    SELECT v_ballot, v_created, f.id::bigint, f.contender_id::bigint, f.rank::integer, f.rationale::text,
           f.locked_probability::double precision
    FROM fresh f ORDER BY f.rank;

    -- The stale mark that the recompute and the sweep catch up.
    INSERT INTO predictions_oddsstate (round_id, category_id, ballot_version, odds_version)
    VALUES (p_round, p_category, 1, 0)
    ON CONFLICT (round_id, category_id) DO UPDATE SET ballot_version = predictions_oddsstate.ballot_version + 1;
END;
$$
"""
DROP = (
    "DROP FUNCTION IF EXISTS predictions_ballot_save(bigint, bigint, bigint, bigint, timestamptz, boolean, bigint[], "
    "bigint[], text[], double precision, text)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("predictions", "0003_pick_odds_index_covers_user")]

    operations = [
        migrations.RemoveIndex(model_name="oddsstate", name="predictions_round_i_a8fb4d_idx"),
        migrations.RunPython(create, drop),
    ]
