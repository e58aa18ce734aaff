CREATE TABLE "stage_claims" (
	"cache_key" text PRIMARY KEY NOT NULL,
	"owner_run_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL
);
