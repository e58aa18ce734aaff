ALTER TABLE "runs" ADD COLUMN "schedule" text;--> statement-breakpoint
CREATE INDEX "runs_schedule_created_idx" ON "runs" USING btree ("schedule","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);