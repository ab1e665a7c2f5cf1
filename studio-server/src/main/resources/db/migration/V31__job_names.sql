-- A name per job that people choose (the list shows it; null: the entry point and a short id), and whether the
-- server's copy of its log is partial (output came faster than the machine could stream it; the download then reads
-- the machine's own file). Numbered well above the current migrations so that migrations written at the same time
-- in other areas do not clash. Plain SQL that H2, PostgreSQL and SQLite all run.
alter table studio_job add column name varchar(200);
alter table studio_job add column log_partial boolean default false not null;
