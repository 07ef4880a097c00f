using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MlOps.Registry.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class PredictionLogFiles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "dataset_version_lineage",
                columns: table => new
                {
                    dataset_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    lineage_json = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dataset_version_lineage", x => x.dataset_version_id);
                    table.ForeignKey(
                        name: "FK_dataset_version_lineage_dataset_versions_dataset_version_id",
                        column: x => x.dataset_version_id,
                        principalTable: "dataset_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "prediction_log_files",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    model = table.Column<string>(type: "text", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: true),
                    date = table.Column<DateOnly>(type: "date", nullable: false),
                    key = table.Column<string>(type: "text", nullable: false),
                    rows = table.Column<long>(type: "bigint", nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    min_ts = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    max_ts = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_prediction_log_files", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_prediction_log_files_key",
                table: "prediction_log_files",
                column: "key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_prediction_log_files_max_ts",
                table: "prediction_log_files",
                column: "max_ts");

            migrationBuilder.CreateIndex(
                name: "IX_prediction_log_files_model_kind_id",
                table: "prediction_log_files",
                columns: new[] { "model", "kind", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "dataset_version_lineage");

            migrationBuilder.DropTable(
                name: "prediction_log_files");
        }
    }
}
