-- Share links: the owner hands out a link with a role (viewer or editor) and an optional expiry.
-- A user who opens it becomes a member of the studio with that link's role, for as long as the link is valid.
create table share_link (
    token      varchar(64) primary key,
    studio_id  varchar(36) not null references studio (id) on delete cascade,
    role       varchar(16) not null,
    created_by bigint      not null references kiln_user (id),
    created_at timestamp with time zone not null,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone
);

create index share_link_studio_idx on share_link (studio_id);

create table studio_member (
    studio_id  varchar(36) not null references studio (id) on delete cascade,
    user_id    bigint      not null references kiln_user (id),
    link_token varchar(64) not null references share_link (token) on delete cascade,
    joined_at  timestamp with time zone not null,
    primary key (studio_id, user_id)
);
