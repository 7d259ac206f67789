INSERT INTO lead_flags (id, name) VALUES (1, 'Valid'), (2, 'Invalid'), (3, 'Caution'), (4, 'Test');
