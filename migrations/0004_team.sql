CREATE TABLE "invitations" (
	"id" text PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"invitee_id" text NOT NULL,
	"invitee_name" text NOT NULL,
	"role" text NOT NULL,
	"invited_by" text NOT NULL,
	"invited_by_name" text NOT NULL,
	"invited_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"answered_at" timestamp with time zone,
	"card" jsonb,
	"announced_at" timestamp with time zone,
	CONSTRAINT "invitations_role_valid" CHECK ("invitations"."role" in ('admin','approver','member')),
	CONSTRAINT "invitations_platform_valid" CHECK ("invitations"."platform" in ('slack','mattermost','sandbox')),
	CONSTRAINT "invitations_state_valid" CHECK ("invitations"."state" in ('pending','accepted','declined','expired','replaced'))
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "added_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "added_by" text DEFAULT 'config' NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "removed_by" text;--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_one_pending" ON "invitations" USING btree ("platform","invitee_id") WHERE "invitations"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "invitations_state" ON "invitations" USING btree ("state");--> statement-breakpoint
-- Rows written before the team was recorded: they joined when their role was last set, by whoever set it.
UPDATE "members" SET "added_at" = "updated_at", "added_by" = "updated_by";
