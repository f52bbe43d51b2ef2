"""Schema migrations. Each entry upgrades the database by one version; a new
version is appended, never edited, so old databases upgrade in order."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the bridge's spine.
    """
    CREATE TABLE stores (
        key TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        connector TEXT NOT NULL,
        shop_id TEXT NOT NULL,
        site TEXT NOT NULL,
        name TEXT NOT NULL,
        nickname TEXT,
        channel_ref TEXT NOT NULL,
        group_name TEXT,
        health TEXT NOT NULL DEFAULT 'ok',
        health_detail TEXT,
        health_since REAL
    );
    CREATE TABLE channels (
        ref TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        name TEXT,
        is_private INTEGER NOT NULL DEFAULT 0,
        resolved_at REAL NOT NULL
    );
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        store_key TEXT NOT NULL REFERENCES stores(key),
        platform_conversation_id TEXT NOT NULL,
        ref TEXT UNIQUE,
        buyer_id TEXT NOT NULL,
        buyer_name TEXT NOT NULL,
        buyer_avatar TEXT,
        buyer_language TEXT,
        channel_ref TEXT NOT NULL,
        channel_id TEXT,
        thread_ts TEXT,
        status TEXT NOT NULL DEFAULT 'open',
        unread INTEGER NOT NULL DEFAULT 0,
        last_summary TEXT,
        last_at REAL,
        waiting_since REAL,
        created_at REAL NOT NULL,
        closed_at REAL,
        UNIQUE (store_key, platform_conversation_id),
        UNIQUE (channel_id, thread_ts)
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        store_key TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note', 'seller')),
        platform_message_id TEXT,
        channel_id TEXT,
        slack_ts TEXT,
        author TEXT,
        kind TEXT NOT NULL DEFAULT 'text',
        text TEXT NOT NULL DEFAULT '',
        attributes TEXT NOT NULL DEFAULT '{}',
        raw TEXT,
        state TEXT NOT NULL,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        idempotency_key TEXT UNIQUE,
        sent_text TEXT,
        notice_ts TEXT,
        shown_reaction TEXT,
        created_at REAL NOT NULL,
        platform_at REAL,
        delivered_at REAL,
        UNIQUE (store_key, platform_message_id),
        UNIQUE (channel_id, slack_ts)
    );
    CREATE INDEX messages_outbox ON messages (store_key, state, conversation_id, id)
        WHERE direction = 'out';
    CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
    CREATE TABLE slack_ops (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel_ref TEXT NOT NULL,
        kind TEXT NOT NULL,
        conversation_id INTEGER,
        message_id INTEGER,
        payload TEXT NOT NULL DEFAULT '{}',
        dedupe_key TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        started_at REAL,
        result_ts TEXT,
        error TEXT
    );
    CREATE INDEX slack_ops_queue ON slack_ops (state, channel_ref, id);
    -- Coalescing: at most one pending card refresh / reaction sync per target.
    CREATE UNIQUE INDEX slack_ops_coalesce ON slack_ops (dedupe_key)
        WHERE state = 'pending' AND dedupe_key IS NOT NULL;
    CREATE TABLE cursors (
        store_key TEXT PRIMARY KEY,
        cursor TEXT,
        updated_at REAL NOT NULL
    );
    CREATE TABLE slack_events (
        event_id TEXT PRIMARY KEY,
        received_at REAL NOT NULL
    );
    CREATE TABLE tokens (
        platform TEXT NOT NULL,
        shop_id TEXT NOT NULL,
        access_token TEXT NOT NULL,
        refresh_token TEXT,
        access_expires_at REAL,
        refresh_expires_at REAL,
        extra TEXT NOT NULL DEFAULT '{}',
        updated_at REAL NOT NULL,
        PRIMARY KEY (platform, shop_id)
    );
    """,
    # 2: replies split into several messages; health banners; OAuth state.
    """
    ALTER TABLE messages ADD COLUMN parts TEXT;
    ALTER TABLE messages ADD COLUMN parts_done INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE sent_parts (
        store_key TEXT NOT NULL,
        platform_message_id TEXT NOT NULL,
        message_id INTEGER NOT NULL REFERENCES messages(id),
        part INTEGER NOT NULL,
        PRIMARY KEY (store_key, platform_message_id)
    );
    CREATE TABLE banners (
        store_key TEXT NOT NULL,
        channel_ref TEXT NOT NULL,
        ts TEXT,
        PRIMARY KEY (store_key, channel_ref)
    );
    ALTER TABLE stores ADD COLUMN caught_up INTEGER;
    CREATE TABLE oauth_states (
        state TEXT PRIMARY KEY,
        platform TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    """,
    # 3: quick replies, translation memory, team workflow.
    """
    CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        topic TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        variants TEXT NOT NULL DEFAULT '{}',
        usage_count INTEGER NOT NULL DEFAULT 0,
        last_used_at REAL,
        created_by TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (topic, name)
    );
    CREATE TABLE translations (
        id INTEGER PRIMARY KEY,
        text_hash TEXT NOT NULL,
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        provider TEXT NOT NULL,
        text TEXT NOT NULL,
        translated TEXT NOT NULL,
        corrected TEXT,
        corrected_by TEXT,
        created_at REAL NOT NULL,
        UNIQUE (text_hash, source, target, provider)
    );
    CREATE TABLE glossary (
        store_key TEXT NOT NULL,
        term TEXT NOT NULL,
        translation TEXT,
        UNIQUE (store_key, term)
    );
    ALTER TABLE messages ADD COLUMN source TEXT NOT NULL DEFAULT 'typed';
    ALTER TABLE messages ADD COLUMN template_id INTEGER;
    ALTER TABLE messages ADD COLUMN translation TEXT;
    ALTER TABLE messages ADD COLUMN translation_state TEXT;
    ALTER TABLE messages ADD COLUMN translation_lang TEXT;
    ALTER TABLE conversations ADD COLUMN translate_replies INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN assignee TEXT;
    ALTER TABLE conversations ADD COLUMN assigned_at REAL;
    ALTER TABLE conversations ADD COLUMN last_agent TEXT;
    ALTER TABLE conversations ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE conversations ADD COLUMN sla_reminded_at REAL;
    ALTER TABLE conversations ADD COLUMN sla_escalated_at REAL;
    CREATE INDEX conversations_by_buyer ON conversations (buyer_id);
    CREATE INDEX conversations_by_assignee ON conversations (assignee, status);
    CREATE INDEX conversations_waiting ON conversations (status, waiting_since);
    CREATE TABLE agents (
        user_id TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'online',
        status_at REAL,
        current_conversation_id INTEGER
    );
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL,
        store_key TEXT NOT NULL,
        agent TEXT,
        waited_from REAL NOT NULL,
        responded_at REAL NOT NULL
    );
    CREATE INDEX responses_by_time ON responses (responded_at);
    CREATE TABLE conversation_events (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT,
        detail TEXT NOT NULL DEFAULT '{}',
        at REAL NOT NULL
    );
    CREATE INDEX conversation_events_by_conversation ON conversation_events (conversation_id, id);
    """,
    # 4: orders beside the chat.
    """
    CREATE TABLE orders (
        store_key TEXT NOT NULL,
        order_id TEXT NOT NULL,
        buyer_id TEXT NOT NULL,
        status TEXT NOT NULL,
        platform_status TEXT NOT NULL,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        ship_by REAL,
        tracking_no TEXT,
        items TEXT NOT NULL DEFAULT '[]',
        cancellation TEXT,
        returns TEXT NOT NULL DEFAULT '[]',
        fetched_at REAL NOT NULL,
        PRIMARY KEY (store_key, order_id)
    );
    CREATE INDEX orders_by_buyer ON orders (store_key, buyer_id, created_at);
    CREATE INDEX orders_by_ship_by ON orders (status, ship_by);
    CREATE TABLE order_refresh (
        store_key TEXT NOT NULL,
        order_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        queued_at REAL NOT NULL,
        PRIMARY KEY (store_key, order_id)
    );
    CREATE TABLE order_cursors (
        store_key TEXT PRIMARY KEY,
        cursor TEXT,
        updated_at REAL NOT NULL
    );
    CREATE TABLE order_notices (
        store_key TEXT NOT NULL,
        order_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (store_key, order_id, kind, key)
    );
    ALTER TABLE conversations ADD COLUMN buyer_order_id TEXT;
    CREATE INDEX messages_translation_todo ON messages (id)
        WHERE direction = 'in' AND translation_state IN ('pending', 'failed');
    CREATE INDEX conversations_home_counts
        ON conversations (store_key, status, unread, waiting_since, assignee);
    CREATE INDEX conversation_events_by_kind ON conversation_events (kind, at);
    CREATE TABLE scheduled_posts (
        kind TEXT NOT NULL,
        period TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (kind, period)
    );
    """,
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
