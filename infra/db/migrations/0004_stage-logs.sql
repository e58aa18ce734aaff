CREATE TABLE "stage_logs" (
	"run_id" text NOT NULL,
	"stage_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"level" text NOT NULL,
	"message" text NOT NULL,
	CONSTRAINT "stage_logs_pk" PRIMARY KEY("run_id","stage_id","attempt","seq")
);
--> statement-breakpoint
ALTER TABLE "stage_logs" ADD CONSTRAINT "stage_logs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stage_logs_run_at_idx" ON "stage_logs" USING btree ("run_id","at");