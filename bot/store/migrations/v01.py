"""Migration 1: the bridge's spine (stores, conversations, messages, the Slack
outbox, cursors, tokens).

Settled: never edited (old databases upgrade through them in order)."""

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
)
