using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MlOps.Registry.Api.Data.Migrations
{
    /// <summary>Makes the alias audit trail append-only in the database itself, not only by convention of the code.</summary>
    public partial class AliasHistoryAppendOnly : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION alias_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'alias_history is append-only';
                END $$;
                CREATE TRIGGER alias_history_append_only BEFORE UPDATE OR DELETE ON alias_history
                    FOR EACH ROW EXECUTE FUNCTION alias_history_append_only();
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER alias_history_append_only ON alias_history;
                DROP FUNCTION alias_history_append_only();
                """);
        }
    }
}
