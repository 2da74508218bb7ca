-- pgbench script for bench/compare.sh: the thread feed (bench/scenarios/thread-feed.graphql)
-- as ONE hand-written statement, returning the same data as one JSON document: the
-- viewer's token check, totalCount, the 20 newest threads the viewer may see with author
-- (and their partner), partner, tag names in name order, and the first 5 replies with
-- their authors, and hasNextPage. It is the floor's yardstick: what PostgreSQL itself
-- sustains for the page, with no HTTP, GraphQL or JSON work outside the database.
--
--   pgbench -n -M prepared -c 32 -j 2 -T 10 -D token_hash=<sha256 hex of the token> -f thread-feed.sql DB
--
-- Visibility is LKN's: a valid member token sees NETWORK and PUBLIC threads, anything else
-- PUBLIC only.
WITH viewer AS (
    SELECT EXISTS (
        SELECT 1 FROM api_tokens t JOIN members m ON m.id = t.member_id
        WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL
    ) AS is_member
), page AS (
    SELECT th.*
    FROM threads th
    WHERE (SELECT is_member FROM viewer) OR th.visibility = 'PUBLIC'
    ORDER BY th.id DESC
    LIMIT 21
)
SELECT json_build_object(
    -- The feed's size as LKN keeps it: a row of list_counts maintained by triggers
    -- (migration m20261129_000011), so the floor counts the same way the API does.
    'totalCount', (SELECT count FROM list_counts
                   -- chr(58) is ':', which pgbench would read as the start of a variable.
                   WHERE name = CASE WHEN (SELECT is_member FROM viewer) THEN 'threads'
                                     ELSE concat('threads', chr(58), 'public') END),
    'hasNextPage', (SELECT count(*) > 20 FROM page),
    'nodes', (
        SELECT coalesce(json_agg(json_build_object(
            'id', p.id, 'kind', p.kind, 'title', p.title, 'status', p.status,
            'createdAt', p.created_at, 'replyCount', p.reply_count,
            'endorsementCount', p.endorsement_count,
            'tags', coalesce(tg.names, '[]'),
            'author', json_build_object('id', a.id, 'displayName', a.display_name,
                'partner', json_build_object('id', ap.id, 'name', ap.name)),
            'partner', json_build_object('id', tp.id, 'slug', tp.slug, 'name', tp.name),
            'replies', coalesce(rs.nodes, '[]')
        ) ORDER BY p.id DESC), '[]')
        FROM (SELECT * FROM page ORDER BY id DESC LIMIT 20) p
        JOIN members a ON a.id = p.author_id
        JOIN partners ap ON ap.id = a.partner_id
        JOIN partners tp ON tp.id = p.partner_id
        LEFT JOIN LATERAL (
            SELECT json_agg(g.name ORDER BY g.name) AS names
            FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id
            WHERE tt.thread_id = p.id
        ) tg ON true
        LEFT JOIN LATERAL (
            SELECT json_agg(json_build_object('id', r.id, 'body', r.body, 'createdAt', r.created_at,
                'author', json_build_object('id', ra.id, 'displayName', ra.display_name)) ORDER BY r.id) AS nodes
            FROM (SELECT * FROM replies r WHERE r.thread_id = p.id ORDER BY r.id LIMIT 5) r
            JOIN members ra ON ra.id = r.author_id
        ) rs ON true
    )
);
