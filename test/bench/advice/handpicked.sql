-- The indexes a DBA picked for the workload by hand.
INSERT INTO shop_bench.handpicked VALUES
($$CREATE INDEX ON shop.users (lower(email))$$),
($$CREATE INDEX ON shop.users (email)$$),
($$CREATE INDEX ON shop.users (name text_pattern_ops)$$),
($$CREATE INDEX ON shop.users (created_at)$$),
($$CREATE INDEX ON shop.orders (created_at) WHERE status = 'pending'$$),
($$CREATE INDEX ON shop.orders (user_id, created_at)$$),
($$CREATE INDEX ON shop.order_items (order_id)$$),
($$CREATE INDEX ON shop.order_items (product_id)$$),
($$CREATE INDEX ON shop.products (category_id, price)$$);
