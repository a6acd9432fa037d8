-- Platform checks follow the domain's list of platforms (src/domain/users.ts), which now has the in-process sandbox chat.
ALTER TABLE "environments" DROP CONSTRAINT "environments_platform_valid";--> statement-breakpoint
ALTER TABLE "members" DROP CONSTRAINT "members_platform_valid";--> statement-breakpoint
ALTER TABLE "environments" ADD CONSTRAINT "environments_platform_valid" CHECK ("environments"."platform" in ('slack','mattermost','sandbox'));--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_platform_valid" CHECK ("members"."platform" in ('slack','mattermost','sandbox'));