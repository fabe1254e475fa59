-- A2A tasks and their push-notification configs (the SQLite task store's tables).
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    context_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_ns BIGINT NOT NULL,
    body BYTEA NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    tenant TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tasks_by_update ON tasks (updated_ns DESC, id DESC);
CREATE INDEX tasks_by_context ON tasks (context_id, updated_ns DESC);
CREATE INDEX tasks_by_state ON tasks (state, updated_ns DESC);
CREATE INDEX tasks_by_owner ON tasks (owner, tenant, updated_ns DESC, id DESC);

CREATE TABLE push_configs (
    task_id TEXT NOT NULL,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    body BYTEA NOT NULL,
    PRIMARY KEY (task_id, id)
);
