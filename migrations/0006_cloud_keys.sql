CREATE TABLE "cloud_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"access_key_hint" text NOT NULL,
	"region" text NOT NULL,
	"account_id" text,
	"is_default" boolean DEFAULT false NOT NULL,
	"wrapped_key" text NOT NULL,
	"sealed_pair" text NOT NULL,
	"added_by" text NOT NULL,
	"added_by_name" text NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	"rotated_by" text,
	"rotated_by_name" text,
	"rotated_at" timestamp with time zone,
	CONSTRAINT "cloud_keys_provider_valid" CHECK ("cloud_keys"."provider" in ('aws')),
	CONSTRAINT "cloud_keys_id_format" CHECK ("cloud_keys"."id" ~ '^key-[a-z0-9]{6}$')
);
--> statement-breakpoint
CREATE TABLE "credentials_check" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"fingerprint" text NOT NULL,
	"sealed" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "credentials_check_single_row" CHECK ("credentials_check"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "cloud_key_id" text;--> statement-breakpoint
ALTER TABLE "simulated_resources" ADD COLUMN "cloud_key_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "cloud_keys_name_unique" ON "cloud_keys" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "cloud_keys_one_default" ON "cloud_keys" USING btree ("is_default") WHERE "cloud_keys"."is_default";