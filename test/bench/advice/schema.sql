-- Advice quality bench: an ORM-style shop with skewed data.
-- Ten accounts own 30 % of the orders; one order in a thousand is pending;
-- names sort under a collation that is not C ("C.utf8": by code point,
-- but not C to the planner), so LIKE 'prefix%' needs a pattern class.
CREATE SCHEMA shop;
SET search_path = shop;
SELECT setseed(0.18);

CREATE TABLE users (
    id int PRIMARY KEY,
    email text NOT NULL,
    name text COLLATE "C.utf8" NOT NULL,
    created_at timestamptz NOT NULL);
CREATE TABLE products (
    id int PRIMARY KEY,
    category_id int NOT NULL,
    price numeric(10, 2) NOT NULL,
    title text NOT NULL);
CREATE TABLE orders (
    id int PRIMARY KEY,
    user_id int NOT NULL REFERENCES users,
    status text NOT NULL,
    total numeric(10, 2) NOT NULL,
    created_at timestamptz NOT NULL);
CREATE TABLE order_items (
    id int PRIMARY KEY,
    order_id int NOT NULL REFERENCES orders,
    product_id int NOT NULL REFERENCES products,
    quantity int NOT NULL);

INSERT INTO users
SELECT g, 'User' || g || '@example.org', 'smith' || g,
       '2026-01-01'::timestamptz - g * interval '5 minutes'
  FROM generate_series(1, 100000) g;
INSERT INTO products
SELECT g, g % 200, (g % 997) + 0.99, 'product ' || g
  FROM generate_series(1, 20000) g;
INSERT INTO orders
SELECT g,
       CASE WHEN random() < 0.3 THEN 1 + (g % 10) ELSE 1 + (random() * 99999)::int END,
       CASE WHEN g % 1000 = 0 THEN 'pending' WHEN g % 3 = 0 THEN 'shipped' ELSE 'done' END,
       (random() * 500)::numeric(10, 2),
       '2026-01-01'::timestamptz - g * interval '1 minute'
  FROM generate_series(1, 400000) g;
INSERT INTO order_items
SELECT g, 1 + (g % 400000), 1 + (random() * 19999)::int, 1 + (g % 5)
  FROM generate_series(1, 800000) g;
VACUUM ANALYZE users, products, orders, order_items;
