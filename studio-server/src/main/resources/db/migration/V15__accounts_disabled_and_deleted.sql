-- Accounts an administrator disabled (they cannot sign in until enabled again) or deleted. A deleted account keeps
-- its row, renamed to a name nobody can sign up with and with no usable password, so that what it made (commits,
-- job records) keeps its author; its studios are moved to the trash. Numbered well above the current migrations so
-- that migrations written at the same time in other areas do not clash. Runs unchanged on H2 and PostgreSQL.
alter table kiln_user add column disabled boolean default false not null;
alter table kiln_user add column deleted_at timestamp with time zone;
