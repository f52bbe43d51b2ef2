"""Migrations 5-11: several workers on one database, due-work indexes, bound
authorization links, team-scoped corrections, ordered catch-up, digest figures,
agents' order actions.

Settled: never edited (old databases upgrade through them in order)."""

MIGRATIONS: tuple[str, ...] = (
    # 5: several workers on one database; indexes for what periodic jobs ask.
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at REAL NOT NULL,
        acquired_at REAL NOT NULL
    );
    CREATE INDEX leases_by_holder ON leases (holder);
    CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at REAL NOT NULL,
        seen_at REAL NOT NULL
    );
    CREATE INDEX messages_replies_pending ON messages (store_key, conversation_id, id)
        WHERE direction = 'out' AND state IN ('queued', 'sending', 'unknown');
    CREATE INDEX conversation_events_by_conversation_kind
        ON conversation_events (conversation_id, kind, at);
    """,
    # 6: periodic jobs read only what is due, through an index (issue: a seller's
    # full size). sla_next_at: when the SLA tick must next look at a conversation
    # (NULL: nothing left to do); needs_answer: a pending cancellation or return.
    """
    ALTER TABLE conversations ADD COLUMN sla_next_at REAL;
    UPDATE conversations SET sla_next_at = waiting_since
        WHERE status = 'open' AND waiting_since IS NOT NULL;
    CREATE INDEX conversations_sla_due ON conversations (sla_next_at)
        WHERE sla_next_at IS NOT NULL;
    ALTER TABLE orders ADD COLUMN needs_answer INTEGER NOT NULL DEFAULT 0;
    UPDATE orders SET needs_answer = 1
        WHERE cancellation LIKE '%"state": "pending"%' OR returns LIKE '%"state": "pending"%';
    CREATE INDEX orders_needing_answer ON orders (store_key) WHERE needs_answer = 1;
    CREATE INDEX slack_ops_done ON slack_ops (created_at) WHERE state = 'done';
    CREATE INDEX slack_ops_open ON slack_ops (state) WHERE state != 'done';
    CREATE INDEX slack_events_by_time ON slack_events (received_at);
    CREATE INDEX messages_untried ON messages (created_at)
        WHERE direction = 'in' AND translation_state IS NULL;
    CREATE INDEX messages_replies_open ON messages (state)
        WHERE direction = 'out' AND state NOT IN ('delivered', 'cancelled');
    """,
    # 7: an authorization link is bound to the store it was issued for, and its issuer.
    """
    ALTER TABLE oauth_states ADD COLUMN store_key TEXT;
    ALTER TABLE oauth_states ADD COLUMN issued_by TEXT;
    """,
    # 8: a translation correction belongs to the team (or the store) that made it.
    # Corrections made before were shared by everyone: they keep scope '*'.
    """
    CREATE TABLE translation_corrections (
        text_hash TEXT NOT NULL,
        target TEXT NOT NULL,
        scope TEXT NOT NULL,
        corrected TEXT NOT NULL,
        corrected_by TEXT,
        created_at REAL NOT NULL,
        PRIMARY KEY (text_hash, target, scope)
    );
    INSERT INTO translation_corrections (text_hash, target, scope, corrected, corrected_by,
        created_at)
        SELECT text_hash, target, '*', MAX(corrected), MAX(corrected_by), MAX(created_at)
        FROM translations WHERE corrected IS NOT NULL GROUP BY text_hash, target;
    ALTER TABLE messages ADD COLUMN translation_by TEXT;
    """,
    # 9: catch-up in order. A store catching up holds its new messages' posts (held_posts)
    # while its marker is fresh; they are posted in platform order when it ends. A new
    # conversation's root post waits briefly while its buyer's profile is being fetched.
    # The buyer's language: what the platform reports, each message's detected language,
    # and where the conversation's language came from (a team member's choice sticks).
    """
    CREATE TABLE catchups (
        store_key TEXT NOT NULL,
        holder TEXT NOT NULL,
        started_at REAL NOT NULL,
        beat_at REAL NOT NULL,
        PRIMARY KEY (store_key, holder)
    );
    CREATE TABLE held_posts (
        message_id INTEGER PRIMARY KEY,
        store_key TEXT NOT NULL,
        channel_ref TEXT NOT NULL,
        conversation_id INTEGER NOT NULL,
        platform_at REAL,
        seq INTEGER,
        delay REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX held_posts_by_store ON held_posts (store_key, conversation_id, platform_at);
    ALTER TABLE conversations ADD COLUMN profile_asked_at REAL;
    ALTER TABLE conversations ADD COLUMN platform_language TEXT;
    ALTER TABLE conversations ADD COLUMN language_source TEXT;
    ALTER TABLE messages ADD COLUMN detected_language TEXT;
    """,
    # 10: what managers read in the digest: event counts every worker adds to
    # (translation memory hits, misses, failures), platforms' account-health notices,
    # and who looked at the Home tab lately (refreshed when conversations change).
    """
    CREATE TABLE counters (
        name TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (name, bucket)
    );
    CREATE TABLE account_notices (
        store_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        summary TEXT NOT NULL,
        severity TEXT NOT NULL,
        issued_at REAL,
        ends_at REAL,
        first_seen REAL NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (store_key, kind, key)
    );
    CREATE TABLE home_viewers (
        user_id TEXT PRIMARY KEY,
        filters TEXT NOT NULL DEFAULT '',
        seen_at REAL NOT NULL
    );
    CREATE INDEX home_viewers_by_seen ON home_viewers (seen_at);
    """,
    # 11: agents act from Slack: one decision per buyer request (claimed before the
    # platform is called, so two clicks act once); response-rate warnings said once.
    """
    CREATE TABLE order_actions (
        store_key TEXT NOT NULL,
        order_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT,
        at REAL NOT NULL,
        PRIMARY KEY (store_key, order_id, request_id)
    );
    CREATE TABLE response_warnings (
        conversation_id INTEGER NOT NULL,
        waiting_since REAL NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (conversation_id, waiting_since)
    );
    """,
)
