/**
 * Creates the table from infra/table.json (the same definition serverless.yml deploys), for DynamoDB Local.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import definition from './table.json' with { type: 'json' };

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const { AttributeDefinitions, KeySchema, BillingMode, TimeToLiveSpecification } = definition.Properties;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: AttributeDefinitions as never,
      KeySchema: KeySchema as never,
      BillingMode: BillingMode as never,
    }),
  );
  // Superseded revisions carry `expiresAt`: DynamoDB deletes them at no cost once it has passed.
  await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification }));
}
