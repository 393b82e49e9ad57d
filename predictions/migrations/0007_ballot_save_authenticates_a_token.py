"""The save function of migration 0006, able to authenticate the save itself: given an API token instead of a
user (p_token), it writes for the token's user only if the token exists and its user is active, in the same
statement that writes the ballot. The API's plain save (predictions.api.BallotApi._put_plain) then needs no
authentication of its own, and a revoked token or a deactivated account never writes. A refused token gives one
row of NULLs, so that the caller can tell it from stale rules (no row). The user is returned with every row.
"""

import importlib

from django.db import migrations

MIGRATION_0006 = importlib.import_module("predictions.migrations.0006_pick_saved_at_and_first_places_index")

FUNCTION = """
CREATE FUNCTION predictions_ballot_save(
    p_user bigint, p_round bigint, p_category bigint, p_ceremony bigint, p_now timestamptz, p_winners boolean,
    p_eligible bigint[], p_contenders bigint[], p_rationales text[], p_prior double precision, p_combined text,
    p_token text
) RETURNS TABLE (
    o_ballot bigint, o_user bigint, o_created timestamptz, o_pick bigint, o_contender bigint, o_rank integer,
    o_rationale text, o_locked double precision
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_user bigint := p_user;
    v_ballot bigint;
    v_created timestamptz;
BEGIN
    -- With a token (and no user), the token's user, if the token exists and its user is active. Otherwise one
    -- row of NULLs: nothing is written, and the caller authenticates the usual way.
    IF p_token IS NOT NULL THEN
        SELECT t.user_id INTO v_user
        FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id
        WHERE t.key = p_token AND u.is_active;
        IF v_user IS NULL THEN
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;

    -- Create the ballot or stamp its save time, locking its row, only if the tables agree with the caller's
    -- cached rules: the round is the ceremony's latest-opening open round, and the category's eligible
    -- contenders are exactly p_eligible. Otherwise nothing is written and no row is returned.
    INSERT INTO predictions_ballot (user_id, round_id, category_id, created_at, saved_at)
    SELECT v_user, r.id, p_category, p_now, p_now
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
                                      category_id, user_id, saved_at)
        SELECT v_ballot, n.contender_id, n.rank, n.rationale, coalesce(o.probability, p_prior),
               p_round, p_category, v_user, p_now
        FROM unnest(p_contenders, p_rationales) WITH ORDINALITY AS n(contender_id, rationale, rank)
        LEFT JOIN predictions_odds o
               ON o.round_id = p_round AND o.contender_id = n.contender_id AND o.segment = p_combined
        RETURNING id, contender_id, rank, rationale, locked_probability
    )
    SELECT v_ballot, v_user, v_created, f.id::bigint, f.contender_id::bigint, f.rank::integer, f.rationale::text,
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
    "bigint[], text[], double precision, text, text)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(MIGRATION_0006.MIGRATION_0004.DROP)  # 0006's function: the same name, fewer arguments
        schema_editor.execute(FUNCTION)


def back_to_0006(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        MIGRATION_0006.function_with_copy(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("predictions", "0006_pick_saved_at_and_first_places_index"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, back_to_0006)]
