-- rollback 0014.sky
DROP TABLE IF EXISTS public.target_position_disagreement;
DROP TABLE IF EXISTS public.target_position;
