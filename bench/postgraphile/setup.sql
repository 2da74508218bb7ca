-- PostGraphile's side of bench/compare.sh: applied by psql, as the database owner, to a
-- copy (CREATE DATABASE ... TEMPLATE) of the database `lkn-api seed demo` filled, so that
-- PostGraphile serves the same rows as lkn-api, under the same rules.
--
--   psql -v ON_ERROR_STOP=1 -v authenticator=ROLE -v visitor=ROLE -d COPY -f setup.sql
--
-- The two roles are created by the harness (they are cluster-wide, so it names them per
-- run and drops them at exit): `authenticator` logs in and owns nothing, `visitor` is the
-- role every GraphQL request runs as (server.mjs sets it with the token hash in
-- pgSettings, so PostGraphile wraps each request in a transaction with set_config).
--
-- What the visitor may read is what PostGraphile exposes (it introspects as the visitor):
-- partners, members (public columns only), threads, replies, tags, collaborations and
-- participants; not api_tokens or anything else. Read-only: no INSERT/UPDATE/DELETE
-- grants, so no mutations either.
--
-- Visibility is LKN's rule (service/threads.rs, service/collaborations.rs): a request with a
-- valid member token sees NETWORK and PUBLIC threads and collaborations, any other
-- request only PUBLIC ones. It is enforced by row-level security, with the token looked
-- up once per statement (an InitPlan, thanks to the scalar subquery around the function).
-- Replies, tags and participants have no visibility of their own: like in LKN they can
-- only be reached through their (visible) thread or collaboration, because their root
-- fields are removed with behaviors below.

GRANT :"visitor" TO :"authenticator";

-- Who is asking: the member of the bearer token whose SHA-256 (lower-case hex, as LKN
-- stores it) server.mjs put in the setting lkn.token_hash; NULL for none or an unknown,
-- revoked token. Outside the exposed schema, so it is no GraphQL field.
CREATE SCHEMA lkn_private;
CREATE FUNCTION lkn_private.current_member_id() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT t.member_id
    FROM public.api_tokens t
    JOIN public.members m ON m.id = t.member_id
    WHERE t.token_hash = nullif(current_setting('lkn.token_hash', true), '')
      AND t.revoked_at IS NULL
$$;
REVOKE ALL ON FUNCTION lkn_private.current_member_id() FROM PUBLIC;
GRANT USAGE ON SCHEMA lkn_private TO :"visitor";
GRANT EXECUTE ON FUNCTION lkn_private.current_member_id() TO :"visitor";

GRANT USAGE ON SCHEMA public TO :"visitor";
GRANT SELECT ON partners, threads, replies, tags, thread_tags, collaborations, collaboration_participants
    TO :"visitor";
GRANT SELECT (id, partner_id, display_name, role, created_at) ON members TO :"visitor";

ALTER TABLE threads ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_threads ON threads FOR SELECT TO :"visitor"
    USING (visibility = 'PUBLIC' OR (SELECT lkn_private.current_member_id()) IS NOT NULL);

ALTER TABLE collaborations ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_collaborations ON collaborations FOR SELECT TO :"visitor"
    USING (visibility = 'PUBLIC' OR (SELECT lkn_private.current_member_id()) IS NOT NULL);

-- Only through their parent, as in LKN.
COMMENT ON TABLE replies IS E'@behavior -query:resource:list -query:resource:connection -query:resource:single';
COMMENT ON TABLE thread_tags IS E'@behavior -query:resource:list -query:resource:connection -query:resource:single';
COMMENT ON TABLE collaboration_participants IS E'@behavior -query:resource:list -query:resource:connection -query:resource:single';

-- LKN lists participants by when they asked to join; the column has no index of its own
-- (a collaboration has a handful of participants), so ordering by it is enabled by hand.
COMMENT ON COLUMN collaboration_participants.requested_at IS E'@behavior +orderBy';

-- Computed columns for LKN's two derived fields, as a PostGraphile user would add them.

-- Thread.tags: the tag names, in name order.
CREATE FUNCTION public.threads_tags(t public.threads) RETURNS text[]
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(array_agg(g.name::text ORDER BY g.name), '{}')
    FROM public.thread_tags tt
    JOIN public.tags g ON g.id = tt.tag_id
    WHERE tt.thread_id = t.id
$$;
COMMENT ON FUNCTION public.threads_tags(public.threads) IS E'@notNull';

-- Collaboration.combinedAudienceReach: the audiences of the accepted participants.
CREATE TYPE public.audience_reach AS (
    known_total bigint,
    known_partner_count bigint,
    unknown_partner_count bigint
);
CREATE FUNCTION public.collaborations_combined_audience_reach(c public.collaborations)
    RETURNS public.audience_reach
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(sum(p.audience_reach), 0)::bigint,
           count(p.audience_reach),
           count(*) - count(p.audience_reach)
    FROM public.collaboration_participants cp
    JOIN public.partners p ON p.id = cp.partner_id
    WHERE cp.collaboration_id = c.id AND cp.join_status = 'ACCEPTED'
$$;
GRANT EXECUTE ON FUNCTION public.threads_tags(public.threads),
    public.collaborations_combined_audience_reach(public.collaborations) TO :"visitor";
