-- The SQLite form of V1 (db/vendor/h2 and db/vendor/postgresql hold the original): SQLite has no identity columns;
-- an "integer primary key" is its auto-numbered row id. Later migrations in db/migration run unchanged on all three.
create table kiln_user (
    id            integer      primary key autoincrement,
    username      varchar(64)  not null unique,
    display_name  varchar(200) not null,
    email         varchar(320),
    password_hash varchar(200) not null,
    is_admin      boolean      not null default false,
    created_at    timestamp with time zone not null
);

create table studio (
    id         varchar(36)  primary key,
    owner_id   bigint       not null references kiln_user (id),
    name       varchar(100) not null,
    created_at timestamp with time zone not null,
    updated_at timestamp with time zone not null
);

create index studio_owner_idx on studio (owner_id);
