"""Migrations 2-4: reply parts, health banners and OAuth state; quick replies,
translation memory and team workflow; orders beside the chat.

Settled: never edited (old databases upgrade through them in order)."""

MIGRATIONS: tuple[str, ...] = (
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
)
