-- Sign-ins under way keep their nonce and verifier in the columns that go: they start again from the sign-in page.
DELETE FROM "console_oidc_requests";--> statement-breakpoint
ALTER TABLE "console_oidc_requests" ADD COLUMN "salt" text NOT NULL;--> statement-breakpoint
ALTER TABLE "console_oidc_requests" DROP COLUMN "nonce";--> statement-breakpoint
ALTER TABLE "console_oidc_requests" DROP COLUMN "code_verifier";