CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_uq" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"uri" text NOT NULL,
	"bytes" bigint NOT NULL,
	"meta" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifacts_kind_check" CHECK ("kind" IN ('dataset', 'model', 'report'))
);
--> statement-breakpoint
CREATE TABLE "edges" (
	"step_id" text NOT NULL,
	"artifact_id" text NOT NULL,
	"direction" text NOT NULL,
	"port" text NOT NULL,
	CONSTRAINT "edges_pk" PRIMARY KEY("step_id","artifact_id","direction","port"),
	CONSTRAINT "edges_direction_check" CHECK ("direction" IN ('consumed', 'produced'))
);
--> statement-breakpoint
CREATE TABLE "metrics" (
	"run_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"name" text NOT NULL,
	"step" integer NOT NULL,
	"value" double precision NOT NULL,
	CONSTRAINT "metrics_pk" PRIMARY KEY("run_id","stage_id","name","step")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"recipe_name" text NOT NULL,
	"recipe_hash" text NOT NULL,
	"plan" jsonb NOT NULL,
	"options" jsonb NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"resumed_from" text,
	"temporal_ui_url" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "runs_status_check" CHECK ("status" IN ('running', 'completed', 'failed', 'cancelled', 'paused'))
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"recipe_name" text NOT NULL,
	"recipe" jsonb NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"temporal_schedule_id" text NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "schedules_name_uq" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "steps" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"kind" text NOT NULL,
	"attempt" integer NOT NULL,
	"cache_key" text NOT NULL,
	"status" text NOT NULL,
	"queue" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"error" text,
	"metrics" jsonb,
	CONSTRAINT "steps_run_stage_attempt_uq" UNIQUE("run_id","stage_id","attempt"),
	CONSTRAINT "steps_status_check" CHECK ("status" IN ('running', 'completed', 'cached', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "training_order" (
	"run_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"checkpoint_step" integer NOT NULL,
	"seq" integer NOT NULL,
	"dataset_artifact_id" text NOT NULL,
	"doc_id" text NOT NULL,
	"token_start" integer NOT NULL,
	"token_end" integer NOT NULL,
	CONSTRAINT "training_order_pk" PRIMARY KEY("run_id","stage_id","checkpoint_step","seq")
);
--> statement-breakpoint
ALTER TABLE "edges" ADD CONSTRAINT "edges_step_id_steps_id_fk" FOREIGN KEY ("step_id") REFERENCES "public"."steps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "edges" ADD CONSTRAINT "edges_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "steps" ADD CONSTRAINT "steps_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_order" ADD CONSTRAINT "training_order_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_order" ADD CONSTRAINT "training_order_dataset_artifact_id_artifacts_id_fk" FOREIGN KEY ("dataset_artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "edges_artifact_idx" ON "edges" USING btree ("artifact_id","direction");--> statement-breakpoint
CREATE INDEX "runs_created_idx" ON "runs" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_recipe_created_idx" ON "runs" USING btree ("recipe_name","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_status_created_idx" ON "runs" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_workflow_idx" ON "runs" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "steps_cache_idx" ON "steps" USING btree ("cache_key","status","finished_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "training_order_doc_idx" ON "training_order" USING btree ("dataset_artifact_id","doc_id");