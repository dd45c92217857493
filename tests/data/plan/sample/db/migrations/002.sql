create index orders_user_id on orders (user_id);
