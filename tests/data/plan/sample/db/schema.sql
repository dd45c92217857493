create table users (id bigint primary key, email text not null unique);
create table orders (id bigint primary key, user_id bigint references users(id), total_cents bigint not null);
