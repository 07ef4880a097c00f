using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MlOps.Registry.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class MetricChunkStepRange : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "max_step",
                table: "metric_chunks",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "min_step",
                table: "metric_chunks",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // Existing chunks get their range from their steps (one pass over the table; at 100M points ~2M rows).
            migrationBuilder.Sql("""
                UPDATE metric_chunks SET
                  min_step = COALESCE((SELECT min(s) FROM unnest(steps) AS s), 0),
                  max_step = COALESCE((SELECT max(s) FROM unnest(steps) AS s), 0);
                -- No default from here on: a writer that left the range out would make pages skip its points.
                ALTER TABLE metric_chunks ALTER COLUMN min_step DROP DEFAULT, ALTER COLUMN max_step DROP DEFAULT;
                """);

            migrationBuilder.CreateIndex(
                name: "IX_metric_chunks_run_id_key_min_step",
                table: "metric_chunks",
                columns: new[] { "run_id", "key", "min_step" })
                .Annotation("Npgsql:IndexInclude", new[] { "max_step" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_metric_chunks_run_id_key_min_step",
                table: "metric_chunks");

            migrationBuilder.DropColumn(
                name: "max_step",
                table: "metric_chunks");

            migrationBuilder.DropColumn(
                name: "min_step",
                table: "metric_chunks");
        }
    }
}
